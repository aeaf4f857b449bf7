"""Writes the request's queued denials and failures after the view's transactions have ended."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhujian.audit import services


class AuditFlushMiddleware:
    """Give each request its own queue of deferred audit records and write them on the way out.

    Place it right after ``zhujian.core.middleware.RequestContextMiddleware``. The records carry
    the context they were recorded in, so the exact position is not critical.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with services.deferred_flush():
            return self.get_response(request)
