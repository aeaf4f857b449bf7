"""The audit administrator's console (审计管理员): the read-only audit trail.

Filters by time, actor, action, outcome and object; pagination; the chain verification on request;
an export streaming JSON lines in the format of ``zhujian audit export``. Only holders of
``audit.view_auditevent`` (the audit_admin role) get in: everyone else gets 403 and one
``access.denied`` record. Every page view, verification and export is itself audited
(``audit.trail.view`` / ``.verify`` / ``.export``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from zhujian.audit import chain
from zhujian.audit import services as audit
from zhujian.audit.models import AuditEvent, Outcome
from zhujian.core.errors import PermissionDenied
from zhujian.core.web import paginate

VIEW = "audit.view_auditevent"
EXPORT_CHUNK = 2000


class TrailFilter(forms.Form):
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label="操作人", max_length=150, required=False)
    action = forms.CharField(label="操作（前缀）", max_length=100, required=False)
    outcome = forms.ChoiceField(label="结果", required=False, choices=[("", "全部"), *Outcome.choices])
    obj = forms.CharField(label="对象（类型、编号或名称）", max_length=200, required=False)


def _require(request: HttpRequest, operation: str) -> None:
    if not request.user.has_perm(VIEW):
        audit.record(
            action="access.denied",
            outcome="denied",
            detail={"permission": VIEW, "operation": operation},
        )
        raise PermissionDenied("只有审计管理员可以查看审计日志")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))  # a Shanghai day


def _filtered(form: TrailFilter) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    qs = AuditEvent.objects.order_by("-id")
    if not form.is_valid():
        return qs, {}
    data = form.cleaned_data
    if data["since"]:
        qs = qs.filter(occurred_at__gte=_day_start(data["since"]))
    if data["until"]:
        qs = qs.filter(occurred_at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
    if data["actor"]:
        qs = qs.filter(actor_label__icontains=data["actor"])
    if data["action"]:
        qs = qs.filter(action__startswith=data["action"])
    if data["outcome"]:
        qs = qs.filter(outcome=data["outcome"])
    if data["obj"]:
        term = data["obj"]
        qs = qs.filter(Q(object_type__iexact=term) | Q(object_id=term) | Q(object_repr__icontains=term))
    used = {k: str(v) for k, v in data.items() if v not in (None, "")}
    return qs, used


@login_required
@require_GET
def trail_view(request: HttpRequest) -> HttpResponse:
    _require(request, "audit.trail.view")
    form = TrailFilter(request.GET or None)
    qs, used = _filtered(form)
    page, querystring = paginate(request, qs)
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("verify", None)
    querystring = params.urlencode()
    result = audit.verify() if request.GET.get("verify") == "1" else None
    audit.record(
        action="audit.trail.view",
        detail={"filters": used, "page": page.number, "verify": result is not None},
    )
    if result is not None:
        audit.record(
            action="audit.trail.verify",
            detail={"ok": result.ok, "checked": result.checked, "first_broken_id": result.first_broken_id},
        )
    return render(
        request,
        "audit/trail.html",
        {"form": form, "page": page, "querystring": querystring, "verify": result},
    )


def _export_lines(qs: QuerySet[AuditEvent]) -> Iterator[str]:
    names = ["id", "prev_hash", "chain_hash", *chain.HASHED_FIELDS]
    for row in qs.order_by("id").values(*names).iterator(chunk_size=EXPORT_CHUNK):
        line: dict[str, Any] = {
            "id": row["id"],
            "prev_hash": row["prev_hash"],
            "chain_hash": row["chain_hash"],
            **chain.canonical_fields(row),
        }
        yield json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


@login_required
@require_GET
def export_view(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as JSON lines (same lines as ``zhujian audit export``), for off-host copies."""
    _require(request, "audit.trail.export")
    qs, used = _filtered(TrailFilter(request.GET or None))
    audit.record(action="audit.trail.export", detail={"filters": used}, count=qs.count())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_export_lines(qs), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.jsonl"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
