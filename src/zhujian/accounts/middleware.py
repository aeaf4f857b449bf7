"""Confine a person whose password has expired to the change-password page (decision 0010).

UI requests are redirected to ``accounts:password_change`` (logout and static files pass);
API requests answer 403 ``password_expired``. Bearer tokens are checked in ``api_auth``, as the
token is only known there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from zhujian.accounts import passwords

PASSWORD_EXPIRED_CODE = "password_expired"  # noqa: S105 - an error code
PASSWORD_EXPIRED_MESSAGE = "密码已过期，请先修改密码"  # noqa: S105 - a message


def password_expired_response() -> JsonResponse:
    return JsonResponse(
        {"error": {"code": PASSWORD_EXPIRED_CODE, "message": PASSWORD_EXPIRED_MESSAGE, "fields": {}}},
        status=403,
    )


class PasswordExpiryMiddleware:
    """Place right after ``AuthenticationMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and passwords.is_expired(user):
            path = request.path
            if path.startswith("/api/"):
                return password_expired_response()
            # The second factor comes first (accounts.mfa.MfaMiddleware runs before this one).
            allowed = {
                reverse("accounts:password_change"),
                reverse("accounts:logout"),
                reverse("accounts:mfa_setup"),
                reverse("accounts:mfa_verify"),
            }
            static = settings.STATIC_URL or "/static/"
            if path not in allowed and not path.startswith(static):
                return redirect("accounts:password_change")
        return self.get_response(request)
