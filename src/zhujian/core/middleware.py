"""Request plumbing: body size cap, request id / client address / actor for audit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from zhujian.core import request_context


def client_ip(request: HttpRequest) -> str | None:
    # X-Forwarded-For is honoured only behind a configured trusted proxy (security issue);
    # until then the socket address is the only truth.
    return request.META.get("REMOTE_ADDR")


class BodySizeLimitMiddleware:
    """Answer 413 to a declared body over the limit before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            message = f"请求体过大：上限为 {limit // 1024} KB"
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "payload_too_large", "message": message, "fields": {}}},
                    status=413,
                )
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


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
