"""The shell's own views: home, "under construction" pages for modules not built yet, health check."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@dataclass(frozen=True)
class Module:
    slug: str
    name: str
    description: str


# The six domain modules of the navbar (DESIGN.md, "Layout"). A module is listed here until its app
# ships its own URLs; then the navbar link moves to the app and the entry can go.
MODULES: dict[str, Module] = {
    m.slug: m
    for m in (
        Module(
            "approvals",
            "审批",
            "工程建设项目在线申报与多部门联合审查（联审），按工作日计算法定时限，"
            "审批通过后签发可扫码核验的许可证。",
        ),
        Module(
            "construction",
            "进度质量",
            "对照计划跟踪工程进度，汇集施工日志、检测报告和现场检查，发现的问题转入整改闭环。",
        ),
        Module(
            "safety",
            "安全监测",
            "接入塔吊、扬尘、噪声等监测设备和 AI 摄像头的实时数据，按告警规则自动告警，"
            "并管理危险性较大的分部分项工程（危大工程）。",
        ),
        Module(
            "funds",
            "资金合同",
            "管理工程合同、付款计划与支付，监管农民工工资专户和工资发放，记录违约行为。",
        ),
        Module(
            "archives",
            "档案",
            "按 GB/T 50328 归集工程档案，支持文字识别（OCR）与全文检索，管理保管期限和档案移交。",
        ),
        Module(
            "cockpit",
            "驾驶舱",
            "为局领导呈现全市关键指标、地图以及日报、周报、月报，并可逐级下钻查看明细。",
        ),
    )
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/home.html", {"modules": MODULES.values()})


@login_required
def module(request: HttpRequest, slug: str) -> HttpResponse:
    found = MODULES.get(slug)
    if found is None:
        raise Http404("没有这个模块")
    return render(request, "shell/module.html", {"module": found})


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
