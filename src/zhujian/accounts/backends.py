"""Authentication backend whose permissions come from the user's roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet

from zhujian.accounts.models import Role


class RoleBackend(ModelBackend):
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
