"""Request plumbing: body size cap (declared or chunked), request id / client address / actor for audit."""

from __future__ import annotations

from collections.abc import Callable
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse

from zhujian.core import request_context


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the right-most untrusted hop.

    X-Forwarded-For is believed only when REMOTE_ADDR is one of ``ZHUJIAN_TRUSTED_PROXIES`` (IPs
    or CIDRs, default none); then the chain is read from the right, skipping trusted proxies, so a
    client cannot choose its address by sending the header itself.
    """
    import ipaddress

    remote = request.META.get("REMOTE_ADDR")
    trusted = tuple(getattr(settings, "ZHUJIAN_TRUSTED_PROXIES", ()) or ())
    if not remote or not trusted:
        return remote
    networks = []
    for item in trusted:
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            continue

    def is_trusted(address: str) -> bool | None:  # None: not an address at all
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        return any(ip in network for network in networks)

    if not is_trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    current = remote
    for hop in reversed(hops):
        verdict = is_trusted(hop)
        if verdict is None:  # garbage a trusted proxy would not write: stop at the last known hop
            return current
        current = hop
        if not verdict:
            return hop
    return current


_CHUNK = 64 * 1024


class _BodyTooLarge(RequestDataTooBig):
    """Django answers 400 to this; the middleware below turns that answer into 413."""


class _CountingInput:
    """``wsgi.input`` that stops with an error once more than ``limit`` bytes have been read.

    Defence in depth under a declared length: Django reads at most CONTENT_LENGTH bytes anyway.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.count = 0
        self.exceeded = False

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self._limit:
            self.exceeded = True
            raise _BodyTooLarge("请求体过大")
        return data

    def read(self, size: int = -1) -> bytes:
        return self._counted(self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._counted(self._stream.readline(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def body_limit(request: HttpRequest) -> int:
    """Multipart bodies (file uploads) have their own, larger cap."""
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return int(getattr(settings, "MAX_UPLOAD_BODY_BYTES", settings.MAX_REQUEST_BODY_BYTES))
    return int(settings.MAX_REQUEST_BODY_BYTES)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"请求体过大：上限为 {limit // 1024} KB"
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "payload_too_large", "message": message, "fields": {}}}, status=413
        )
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class BodySizeLimitMiddleware:
    """Answer 413 to a body over the limit before anything reads the whole of it.

    A declared length over the limit is refused unread. A body without a length (chunked transfer
    encoding) is read in chunks into a spooled file until it ends or passes the limit: past it, the
    answer is 413 and the rest is never read; within it, the buffered body replaces ``wsgi.input``
    with its now-known length, so Django (which otherwise ignores a body without a length) sees it.
    Django alone answers 400 for a form over DATA_UPLOAD_MAX_MEMORY_SIZE and does not cap files.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request)
        environ = request.META
        counting: _CountingInput | None = None
        raw_length = environ.get("CONTENT_LENGTH")
        stream = environ.get("wsgi.input")
        if raw_length not in (None, ""):
            try:
                declared = int(str(raw_length))
            except ValueError:
                declared = 0
            if declared > limit:
                return too_large(request, limit)
            if stream is not None:
                counting = _CountingInput(stream, limit)
                environ["wsgi.input"] = counting
                request._stream = LimitedStream(counting, max(declared, 0))  # type: ignore[attr-defined,arg-type,assignment]
        elif stream is not None and _has_undeclared_body(environ):
            buffered = SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - lives with the request
            total = 0
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    buffered.close()
                    return too_large(request, limit)
                buffered.write(chunk)
            buffered.seek(0)
            environ["wsgi.input"] = buffered
            environ["CONTENT_LENGTH"] = str(total)
            request._stream = LimitedStream(buffered, total)  # type: ignore[attr-defined,arg-type,assignment]
        if request.method == "POST" and request.content_type == "multipart/form-data":
            # Parse here, where a form part over DATA_UPLOAD_MAX_MEMORY_SIZE (or the byte count
            # above) can still be answered 413; later, Django would answer 400.
            try:
                request.POST  # noqa: B018 - parses the body once; views reuse the result
            except RequestDataTooBig:
                return too_large(request, min(limit, int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or limit)))
        response = self.get_response(request)
        if counting is not None and counting.exceeded:
            return too_large(request, limit)
        return response


def _has_undeclared_body(environ: dict[str, Any]) -> bool:
    if "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        return True
    return bool(environ.get("wsgi.input_terminated")) and environ.get("REQUEST_METHOD") not in (
        "GET",
        "HEAD",
        "OPTIONS",
    )


class RequestContextMiddleware:
    """Bind the request id, address and user for audit records written while handling it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = request_context.RequestContext(
            ip=client_ip(request),
            user=getattr(request, "user", None),
            channel="api" if request.path.startswith("/api/") else "web",
        )
        with request_context.bind(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response
