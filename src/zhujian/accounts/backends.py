"""Authentication backend whose permissions come from the user's roles, with login lockout.

Lockout lives here, not in the login view, so every password path shares it: the login page, the
Django admin and a bare ``authenticate()`` (decision 0010).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from zhujian.accounts.models import Role
from zhujian.core.middleware import client_ip

# Set on the request by RoleBackend.authenticate: the login view reads them.
LOCKED_ATTR = "zhujian_login_locked"
AUDITED_ATTR = "zhujian_login_audited"


class RoleBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        from zhujian.accounts import services

        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        username = str(username)
        ip = client_ip(request) if request is not None else None
        lock = services.active_lock(username=username, ip=ip)
        if lock is not None:
            # Refused before the password is looked at: the right password does not help.
            services.record_locked_attempt(username=username, lock=lock)
            _mark(request, locked=True)
            raise PermissionDenied  # authenticate() stops here and tries no other backend
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            locks = services.register_login_failure(username=username, ip=ip)
            _mark(request, locked=bool(locks))
            return None
        services.clear_login_failures(username=username)
        return user

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        through = Role.permissions.through
        return Permission.objects.filter(
            id__in=through.objects.filter(role__users=user_obj).values("permission_id")
        )

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if getattr(user_obj, "pk", None) is None:  # an unsaved user holds no roles yet
            return set()
        return super().get_all_permissions(user_obj, obj)

    def user_can_authenticate(self, user: Any) -> bool:
        # Machine and system principals never log in with a password.
        return super().user_can_authenticate(user) and getattr(user, "kind", "person") == "person"


def _mark(request: HttpRequest | None, *, locked: bool) -> None:
    if request is not None:
        setattr(request, AUDITED_ATTR, True)
        setattr(request, LOCKED_ATTR, locked)
