"""Helpers shared by the registry, accounts and notify tests: audit records since a mark, a
snapshot of the domain tables, API clients with a bearer token or a session."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.apps import apps
from django.test import Client

from zhujian.audit.models import AuditEvent

# Fields that change on a read (token use, login) rather than on a domain write.
VOLATILE_FIELDS = {"last_used_at", "last_login"}
# reference is left out: nothing under test writes it, and its ~3,000 regions make the digest slow.
DOMAIN_APPS = ("registry", "accounts", "notify")


def audit_mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def audit_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def actions_since(mark: int) -> list[tuple[str, str]]:
    return [(e.action, e.outcome) for e in audit_since(mark)]


def domain_snapshot() -> str:
    """A digest of every domain row (without fields a mere read touches)."""
    digest = hashlib.sha256()
    for app_label in DOMAIN_APPS:
        for model in apps.get_app_config(app_label).get_models():
            rows = list(model._default_manager.order_by("pk").values())
            for row in rows:
                for name in VOLATILE_FIELDS:
                    row.pop(name, None)
            digest.update(model._meta.label.encode())
            digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_call(
    client: Client, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None, **extra: Any
) -> Any:
    """A JSON request; ``raw`` sends the bytes as they are (malformed bodies)."""
    data = raw if raw is not None else ("" if body is None else json.dumps(body))
    return client.generic(method, path, data, content_type="application/json", **extra)


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"].replace("_", "").isalpha()
    assert error["code"] == error["code"].lower()
    assert has_chinese(error["message"]), error["message"]
    assert isinstance(error["fields"], dict)
    for messages in error["fields"].values():
        assert isinstance(messages, list) and messages
        assert all(has_chinese(m) for m in messages), messages
    if code is not None:
        assert error["code"] == code, error
    return error


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
