from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from zhujian.audit import chain
from zhujian.audit import services as audit
from zhujian.audit.models import AuditEvent

from .helpers import last_id

pytestmark = pytest.mark.django_db


def _export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("audit", "export", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_export_lines_can_be_reverified_off_host(user):
    start = last_id()
    for i in range(3):
        audit.record(action="test.export", actor=user, detail={"i": i, "名称": "鼓楼区"})
    lines = _export("--after-id", str(start), "--format", "jsonl")
    assert [line["detail"]["i"] for line in lines] == [0, 1, 2]
    for prev, line in zip([None, *lines], lines, strict=False):
        if prev is not None:
            assert line["prev_hash"] == prev["chain_hash"]
        body = {k: v for k, v in line.items() if k not in {"id", "prev_hash", "chain_hash"}}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert chain.sm3_hex(line["prev_hash"] + text) == line["chain_hash"]


def test_export_since_filters_by_time(user):
    audit.record(action="test.export.since", actor=user)
    # --since takes a date in Asia/Shanghai: tomorrow there, whatever the UTC date is now.
    assert _export("--since", (timezone.localdate() + timedelta(days=1)).isoformat()) == []
    assert any(line["action"] == "test.export.since" for line in _export("--since", "2000-01-01"))


def test_admin_is_read_only(admin_user):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = admin_user
    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.get_actions(request)
