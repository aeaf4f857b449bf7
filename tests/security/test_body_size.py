"""Bodies over the limit are answered 413 before the whole body is read, declared or not
(issue 3, uploads). Django alone answers 400 to an oversized form and does not cap files."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from zhujian.audit.models import AuditEvent
from zhujian.registry.models import Enterprise
from zhujian.testing import valid_uscc

LIMIT = 64 * 1024


class TrackingInput(io.BytesIO):
    """A ``wsgi.input`` that remembers how much was read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        chunk = super().readline(size)
        self.consumed += len(chunk)
        return chunk


def _form(uscc: str, padding: int = 0) -> bytes:
    data = {"uscc": uscc, "name": "分块上传建设有限公司", "roles": "contractor"}
    if padding:
        data["address"] = "x" * padding
    return urlencode(data).encode()


@pytest.fixture
def limited(settings: Any) -> Any:
    settings.MAX_REQUEST_BODY_BYTES = LIMIT
    settings.MAX_UPLOAD_BODY_BYTES = LIMIT
    return settings


def _state() -> tuple[int, int]:
    return Enterprise.objects.count(), AuditEvent.objects.count()


@pytest.mark.django_db
def test_declared_oversized_body_is_413_unread(limited: Any, market_officer: Any) -> None:
    client = Client()
    client.force_login(market_officer)
    before = _state()
    body = _form(valid_uscc(), padding=LIMIT)
    stream = TrackingInput(body)
    response = client.generic(
        "POST",
        "/registry/enterprises/new/",
        body,
        content_type="application/x-www-form-urlencoded",
        **{"wsgi.input": stream},
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain") and "请求体过大" in response.content.decode()
    assert stream.consumed == 0
    api = client.post("/api/v1/enterprises", b"{" + b" " * LIMIT + b"}", content_type="application/json")
    assert api.status_code == 413 and api.json()["error"]["code"] == "payload_too_large"
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("marker", [{"HTTP_TRANSFER_ENCODING": "chunked"}, {"wsgi.input_terminated": True}])
def test_undeclared_oversized_body_is_413_before_reading_it_all(
    limited: Any, market_officer: Any, marker: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(market_officer)
    before = _state()
    body = _form(valid_uscc(), padding=LIMIT * 8)
    stream = TrackingInput(body)
    response = client.generic(
        "POST",
        "/registry/enterprises/new/",
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        **marker,
        **{"wsgi.input": stream},
    )
    assert response.status_code == 413
    assert LIMIT < stream.consumed < len(body) // 2  # stopped soon after the limit
    api_stream = TrackingInput(b'{"name": "' + b"x" * LIMIT * 4 + b'"}')
    api = client.generic(
        "POST",
        "/api/v1/enterprises",
        b"",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="",
        **marker,
        **{"wsgi.input": api_stream},
    )
    assert api.status_code == 413 and api.json()["error"]["code"] == "payload_too_large"
    assert _state() == before


@pytest.mark.django_db
def test_undeclared_body_within_the_limit_is_read(limited: Any, market_officer: Any) -> None:
    client = Client()
    client.force_login(market_officer)
    uscc = valid_uscc()
    response = client.generic(
        "POST",
        "/registry/enterprises/new/",
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": TrackingInput(_form(uscc))},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Enterprise.objects.filter(uscc=uscc).exists()


@pytest.mark.django_db
def test_a_body_longer_than_declared_is_not_read_past_the_limit(limited: Any, market_officer: Any) -> None:
    """A lying client: declares a small body and sends a large one. Django reads what was declared."""
    client = Client()
    client.force_login(market_officer)
    body = _form(valid_uscc())
    stream = TrackingInput(body + b"&x=" + b"y" * LIMIT * 4)
    response = client.generic(
        "POST",
        "/registry/enterprises/new/",
        body,
        content_type="application/x-www-form-urlencoded",
        **{"wsgi.input": stream},
    )
    assert response.status_code == 302
    assert stream.consumed <= len(body)
