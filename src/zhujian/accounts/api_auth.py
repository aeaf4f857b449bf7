"""API authentication: bearer tokens (personal or machine) and the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer, SessionAuth

from zhujian.accounts import passwords, services
from zhujian.core import request_context
from zhujian.core.errors import PermissionDenied


class PasswordExpired(PermissionDenied):
    code = "password_expired"
    default_message = "密码已过期，请先修改密码"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.authenticate_token(token)
        if user is None:
            return None
        if passwords.is_expired(user):  # a person's personal token dies with their password's age
            raise PasswordExpired()
        request.user = user
        request_context.current().user = user
        return user


class BrowserSession(SessionAuth):
    """The logged-in browser session; unsafe methods need the CSRF token (APIKeyCookie checks it)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            request_context.current().user = user
        return user


token_auth = TokenAuth()
session_auth = BrowserSession()
API_AUTH: list[Any] = [token_auth, session_auth]
assert issubclass(BrowserSession, APIKeyCookie)
