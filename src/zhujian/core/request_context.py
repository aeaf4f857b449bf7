"""Who is acting, from where, under which request id: set once per request or job, read by audit.

A context variable rather than a thread-local so that it also follows async code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str | None = None
    user: Any = None  # the acting User (or None: anonymous / not yet resolved)
    channel: str = "system"  # web / api / job / cli / ingest / system


_current: ContextVar[RequestContext | None] = ContextVar("zhujian_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext()
        _current.set(ctx)
    return ctx


@contextmanager
def bind(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
