"""Session time-outs and the user → session index (issue 3).

- **Idle** (``ZHUJIAN_SESSION_IDLE_MINUTES``, 15) and **absolute** (``ZHUJIAN_SESSION_MAX_HOURS``, 8)
  time-outs: the login time and the last activity are kept in the session; a session past either
  is flushed — its row in ``django_session`` deleted — before authentication runs, so the request
  continues as anonymous (UI: login redirect; API: 401). The last activity is written at most once
  a minute, so an active session costs no write per request; the idle limit is exact to a minute.
- **Index.** ``UserSession`` maps a user to each session key, written whenever the key of a logged-in
  session changes (login, MFA step-up, password change — detected by comparing the key with the
  one last indexed, kept in the session). Disabling a user (``services.set_user_active``) deletes
  their sessions with one indexed query; no scan of every session row. Rows of sessions that ended
  by expiry stay until the user is disabled or ``services.prune_session_index`` runs — harmless,
  as deleting a missing session is a no-op. Independently, Django refuses a session whose user is
  inactive (``ModelBackend.get_user``), so the index is belt and braces.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

LOGIN_AT = "_zj_login_at"
SEEN_AT = "_zj_seen_at"
INDEXED = "_zj_indexed_key"
SEEN_WRITE_INTERVAL = 60  # seconds


def idle_seconds() -> int:
    return int(getattr(settings, "ZHUJIAN_SESSION_IDLE_MINUTES", 15)) * 60


def max_seconds() -> int:
    return int(getattr(settings, "ZHUJIAN_SESSION_MAX_HOURS", 8)) * 3600


def index(request: HttpRequest, user_id: Any) -> None:
    from zhujian.accounts.models import UserSession

    session = request.session
    key = session.session_key
    if not key or session.get(INDEXED) == key:
        return
    old = session.get(INDEXED)
    if old:
        UserSession.objects.filter(session_key=old).delete()
    UserSession.objects.update_or_create(session_key=key, defaults={"user_id": user_id})
    session[INDEXED] = key


def forget(session_key: str | None) -> None:
    from zhujian.accounts.models import UserSession

    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: stamp the times, drop any earlier MFA step-up, index the new key."""
    from zhujian.accounts.mfa import SESSION_VERIFIED

    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    session = request.session
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session.pop(SESSION_VERIFIED, None)
    index(request, user.pk)


def expired_reason(session: Any, now: int) -> str:
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is not None and now - int(login_at) >= max_seconds():
        return "absolute"
    if seen_at is not None and now - int(seen_at) >= idle_seconds():
        return "idle"
    return ""


class SessionTimeoutMiddleware:
    """Place right before ``AuthenticationMiddleware`` (after ``SessionMiddleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        user_id = session.get(SESSION_KEY)
        if user_id is not None:
            now = int(time.time())
            reason = expired_reason(session, now)
            if reason:
                self._expire(request, user_id, reason)
            else:
                session.setdefault(LOGIN_AT, now)  # a session from before the upgrade
                if now - int(session.get(SEEN_AT) or 0) >= SEEN_WRITE_INTERVAL:
                    session[SEEN_AT] = now
        response = self.get_response(request)
        user_id = request.session.get(SESSION_KEY)
        if user_id is not None:
            index(request, user_id)
        return response

    @staticmethod
    def _expire(request: HttpRequest, user_id: Any, reason: str) -> None:
        from zhujian.accounts.models import User
        from zhujian.audit import services as audit

        key = request.session.session_key
        request.session.flush()  # deletes the row: server-side logout
        forget(key)
        user = User.objects.filter(pk=user_id).first()
        audit.record(
            action="accounts.session.expire",
            actor=user,
            actor_label="" if user else str(user_id),
            detail={"reason": reason},
        )
