"""The UI shell: pages render in Chinese, stay CSP-ready, and only reference local static files.

No database: users are unsaved instances and the context processor's lookups are replaced, so these
tests run before notify, registry and the real urlconf exist (urls_for_test stands in for it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.urls import resolve

from zhujian import __version__, context
from zhujian.accounts.models import Organization
from zhujian.shell import views

URLCONF = "zhujian.shell.tests.urls_for_test"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
# Django's own stack only: the project's middleware belongs to other apps (and their tests).
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
SLUGS = ["approvals", "construction", "safety", "funds", "archives", "cockpit"]
NAV_LABELS = [
    *["主体与项目", "项目库", "企业库", "人员库"],
    *["审批", "进度质量", "安全监测", "资金合同", "档案", "驾驶舱"],
]

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STATIC_REF = re.compile(r'(?:href|src)="/static/([^"?#]+)"')


@pytest.fixture(autouse=True)
def _urls_and_lookups(monkeypatch, settings):
    settings.ROOT_URLCONF = URLCONF
    settings.MIDDLEWARE = MIDDLEWARE
    calls: dict[str, int] = {"unread": 0, "warnings": 0}

    def unread(user):
        calls["unread"] += 1
        return 3

    def warnings():
        calls["warnings"] += 1
        return ["2027 年的节假日安排尚未录入，工作日计算可能不准确"]

    monkeypatch.setattr(context, "_unread_count", unread)
    monkeypatch.setattr(context, "_platform_warnings", warnings)
    return calls


def _user(*, staff: bool = False):
    org = Organization(name="南京市住房和城乡建设局", kind="bureau")
    # "staff" here: someone who may act on platform warnings (a superuser holds every permission).
    return get_user_model()(username="zhangsan", full_name="张三", organization=org, is_superuser=staff)


def _request(path: str = "/", user=None):
    request = RequestFactory().get(path)
    request.user = user if user is not None else AnonymousUser()
    request.resolver_match = resolve(path)
    return request


def assert_csp_ready(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)
    assert "style=" not in html
    assert "<style" not in html
    assert "hx-on" not in html
    assert "javascript:" not in html
    for ref in STATIC_REF.findall(html):
        assert finders.find(ref), f"missing static file {ref}"


# ---- pages ----------------------------------------------------------------------------------


def test_home_for_a_signed_in_user(_urls_and_lookups):
    response = views.home(_request("/", _user()))
    html = response.content.decode()
    assert response.status_code == 200
    assert_csp_ready(html)
    assert '<html lang="zh-CN">' in html
    assert "住建监管平台" in html and "南京市" in html
    assert "张三" in html and "南京市住房和城乡建设局" in html
    for label in NAV_LABELS:
        assert label in html
    for url in ("/registry/projects/", "/registry/enterprises/", "/registry/persons/"):
        assert f'href="{url}"' in html
    for slug in SLUGS:
        assert f'href="/module/{slug}/"' in html
    # notification badge, logout as a POST form with its CSRF token
    assert 'href="/notifications/"' in html and ">3</span>" in html
    logout_form = r'<form method="post" action="/accounts/logout/">\s*<input type="hidden" name="csrf'
    assert re.search(logout_form, html)
    assert '<meta name="csrf-token" content="' in html
    htmx_config = '{"allowEval":false,"includeIndicatorStyles":false,"allowScriptTags":false}'
    assert f"<meta name=\"htmx-config\" content='{htmx_config}'>" in html
    assert f"版本 {__version__}" in html
    assert "仅管理员可见" not in html
    assert _urls_and_lookups["warnings"] == 0


def test_unread_count_over_99_is_capped(monkeypatch):
    monkeypatch.setattr(context, "_unread_count", lambda user: 250)
    html = views.home(_request("/", _user())).content.decode()
    assert ">99+</span>" in html


def test_no_badge_without_unread(monkeypatch):
    monkeypatch.setattr(context, "_unread_count", lambda user: 0)
    html = views.home(_request("/", _user())).content.decode()
    assert "zj-badge-count" not in html


def test_staff_see_platform_warnings():
    html = views.home(_request("/", _user(staff=True))).content.decode()
    assert "仅管理员可见" in html
    assert "2027 年的节假日安排尚未录入" in html


@override_settings(DEMO_MODE=True)
def test_demo_banner():
    html = views.home(_request("/", _user())).content.decode()
    assert "演示模式：数据为虚构的演示数据，切勿用于生产" in html


@override_settings(DEMO_MODE=False)
def test_no_demo_banner_in_production():
    html = views.home(_request("/", _user())).content.decode()
    assert "演示模式" not in html


@pytest.mark.parametrize("slug", SLUGS)
def test_module_placeholder(slug):
    request = _request(f"/module/{slug}/", _user())
    response = views.module(request, slug=slug)
    html = response.content.decode()
    assert response.status_code == 200
    assert_csp_ready(html)
    assert "本模块尚在建设中" in html
    assert views.MODULES[slug].description in html
    # the module's nav link is marked as the current page
    assert re.search(rf'class="nav-link active" aria-current="page" href="/module/{slug}/"', html)


def test_unknown_module_is_404():
    with pytest.raises(Http404):
        views.module(_request("/module/nope/", _user()), slug="nope")


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_anonymous_module_redirects_to_login(client):
    response = client.get("/module/safety/")
    assert response.status_code == 302


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_login_page(client):
    response = client.get("/accounts/login/?next=/module/safety/")
    html = response.content.decode()
    assert response.status_code == 200
    assert_csp_ready(html)
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="next" value="/module/safety/"' in html
    assert "主体与项目" not in html  # no module navigation before login
    assert "退出登录" not in html


def test_login_form_errors_in_chinese():
    request = _request("/accounts/login/")
    form = AuthenticationForm(request, data={"username": "", "password": ""})
    assert not form.is_valid()
    form.add_error(None, "用户名或密码不正确。")
    html = render_to_string("registration/login.html", {"form": form}, request=request)
    assert_csp_ready(html)
    assert "用户名或密码不正确。" in html
    assert "这个字段是必填项。" in html
    assert "zj-field mb-3 is-invalid" in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_username_error"' in html


@pytest.mark.parametrize("name", ["404.html", "403.html"])
def test_error_pages_with_request(name):
    html = render_to_string(name, {}, request=_request("/", AnonymousUser()))
    assert_csp_ready(html)
    assert '<html lang="zh-CN">' in html
    assert 'href="/accounts/login/"' in html


@pytest.mark.parametrize("name", ["500.html", "403_csrf.html"])
def test_self_contained_error_pages(name):
    html = render_to_string(name, {})  # Django renders these without a request
    assert_csp_ready(html)
    assert '<html lang="zh-CN">' in html
    assert "bootstrap.min.css" in html


def test_messages_as_bootstrap_alerts():
    request = _request("/", _user())
    messages = [Message(message_levels.ERROR, "保存失败"), Message(message_levels.SUCCESS, "已保存")]
    page = {"module": views.MODULES["funds"], "messages": messages}
    html = render_to_string("shell/module.html", page, request)
    assert_csp_ready(html)
    assert re.search(r'alert alert-danger[^"]*" role="alert">\s*保存失败', html)
    assert re.search(r'alert alert-success[^"]*" role="status">\s*已保存', html)


# ---- includes -------------------------------------------------------------------------------


def test_pagination_keeps_filters():
    page = Paginator(range(95), 10).page(3)
    html = render_to_string(
        "includes/pagination.html", {"page": page, "querystring": "q=%E9%A1%B9%E7%9B%AE&status=open"}
    )
    assert "共 95 条，第 3 / 10 页" in html
    assert 'href="?q=%E9%A1%B9%E7%9B%AE&amp;status=open&amp;page=2"' in html
    assert 'href="?q=%E9%A1%B9%E7%9B%AE&amp;status=open&amp;page=4"' in html
    assert 'href="?q=%E9%A1%B9%E7%9B%AE&amp;status=open&amp;page=10"' in html


def test_pagination_without_filters_and_single_page():
    html = render_to_string("includes/pagination.html", {"page": Paginator(range(25), 10).page(1)})
    assert 'href="?page=2"' in html
    html = render_to_string("includes/pagination.html", {"page": Paginator(range(5), 10).page(1)})
    assert "共 5 条" in html and "page=" not in html


def test_field_include_renders_help_and_required_marker():
    form = AuthenticationForm()
    html = render_to_string("includes/field.html", {"field": form["username"]})
    assert '<label class="form-label" for="id_username">' in html
    assert "zj-required" in html
    assert "is-invalid" not in html


def test_empty_include():
    assert "暂无数据" in render_to_string("includes/empty.html")
    assert "没有符合条件的项目" in render_to_string("includes/empty.html", {"message": "没有符合条件的项目"})


# ---- context processor ----------------------------------------------------------------------


def test_context_is_lazy_for_anonymous_users(_urls_and_lookups):
    values = context.platform(_request("/", AnonymousUser()))
    assert values["APP_VERSION"] == __version__
    assert values["unread_notifications"] == 0
    assert list(values["platform_warnings"]) == []
    assert _urls_and_lookups == {"unread": 0, "warnings": 0}


def test_context_counts_once_when_used(_urls_and_lookups):
    values = context.platform(_request("/", _user()))
    assert _urls_and_lookups["unread"] == 0  # nothing computed until a template asks
    assert values["unread_notifications"] == 3
    assert values["unread_notifications"] > 2
    assert _urls_and_lookups["unread"] == 1


def test_warning_sources_may_return_one_string_or_several():
    assert context._as_messages(None) == []
    assert context._as_messages("") == []
    assert context._as_messages("缺少 2027 年日历") == ["缺少 2027 年日历"]
    assert context._as_messages(["a", "", "b"]) == ["a", "b"]


# ---- source files ---------------------------------------------------------------------------


def test_template_sources_are_csp_ready():
    """Also covers partials no test renders: no inline script, handler, style or hx-on anywhere."""
    for path in TEMPLATES_DIR.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(source), path
        assert not INLINE_HANDLER.search(source), path
        assert "style=" not in source, path
        assert "<style" not in source, path
        assert "hx-on" not in source, path


def test_vendored_assets_are_present_with_licences():
    vendor = STATIC_DIR / "vendor"
    for rel in (
        "htmx/htmx.min.js",
        "htmx/LICENSE",
        "echarts/echarts.min.js",
        "echarts/LICENSE",
        "bootstrap/css/bootstrap.min.css",
        "bootstrap/js/bootstrap.bundle.min.js",
        "bootstrap/LICENSE",
    ):
        assert (vendor / rel).is_file(), rel
    versions = (vendor / "VERSIONS.txt").read_text(encoding="utf-8")
    assert re.search(r"^htmx\s+htmx\.org\s+2\.", versions, re.MULTILINE)
    assert re.search(r"^echarts\s+echarts\s+5\.", versions, re.MULTILINE)
    assert re.search(r"^bootstrap\s+bootstrap\s+5\.", versions, re.MULTILINE)
    # nothing fetched from the network at runtime
    css = (vendor / "bootstrap/css/bootstrap.min.css").read_text(encoding="utf-8")
    assert "@import" not in css and "http://" not in css.replace("http://www.w3.org/2000/svg", "")
