"""Services behind the 三员 consoles that ``accounts.services`` does not have yet (issue 3).

Kept in their own module so the consoles did not have to edit ``services.py`` while MFA and
sessions were being written there. Every write checks the actor's permission (a denial is audited)
and is audited itself.

Separation rules enforced here, on top of ``services._set_roles`` (never two 三员 roles):

* a 三员 role is held alone: a system, security or audit administrator holds no business role,
  so none of them sees business data through a second role;
* a 三员 role's permissions stay within what ``accounts.roles`` declares for it (the security
  administrator may narrow them, never widen them into business data or another 三员's duty);
* a business role never gets an administrator-only permission (user, role or audit administration).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction

from zhujian.accounts import services
from zhujian.accounts.models import Organization, Role, User
from zhujian.accounts.roles import ROLE_BY_CODE, ROLES, SEPARATED_ADMIN_CODES
from zhujian.audit import services as audit
from zhujian.audit.access import require_permission
from zhujian.core.errors import ValidationError

# Permissions only a 三员 role may carry: those declared for them and for no business role.
ADMIN_ONLY_PERMISSIONS = frozenset(
    name for spec in ROLES if spec.separated_admin for name in spec.permissions
) - frozenset(name for spec in ROLES if not spec.separated_admin for name in spec.permissions)
BUSINESS_PERMISSIONS = frozenset(
    name for spec in ROLES if not spec.separated_admin for name in spec.permissions
)
ADMIN_APPS = ("accounts", "audit")
# Apps whose permissions the security console offers (the others are Django's own plumbing).
PERMISSION_APPS = ("accounts", "audit", "reference", "registry", "notify")

CHANGE_USER = "accounts.change_user"
ADD_USER = "accounts.add_user"
CHANGE_ROLE = "accounts.change_role"


def _require(actor: User, permission: str, operation: str) -> None:
    require_permission(actor, permission, message="无权执行此操作", operation=operation)


def _label(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"


def check_role_codes(role_codes: Iterable[str]) -> list[str]:
    """The codes, sorted, or a ValidationError when they break 三员分立."""
    codes = sorted(set(role_codes))
    admin = [c for c in codes if c in SEPARATED_ADMIN_CODES]
    if len(admin) > 1:
        raise ValidationError(
            "系统管理员、安全管理员、审计管理员不得由同一用户兼任",
            code="separated_admin",
            fields={"roles": ["三员角色互斥"]},
        )
    if admin and len(codes) > 1:
        raise ValidationError(
            "三员角色须单独持有，不得同时持有业务角色",
            code="separated_admin",
            fields={"roles": ["三员角色不得与业务角色兼任"]},
        )
    return codes


def create_user(
    *,
    actor: User,
    username: str,
    full_name: str,
    organization: Organization | None,
    password: str | None,
    role_codes: Iterable[str],
    email: str = "",
) -> User:
    _require(actor, ADD_USER, "accounts.user.create")
    codes = check_role_codes(role_codes)
    return services.create_user(
        username=username,
        full_name=full_name,
        organization=organization,
        password=password,
        role_codes=codes,
        actor=actor,
        email=email,
    )


def _not_self(actor: User, user: User, what: str) -> None:
    if actor.pk == user.pk:
        raise ValidationError(f"不能修改本人的{what}", code="self_change")


def assign_roles(*, user: User, role_codes: Iterable[str], actor: User) -> User:
    _require(actor, CHANGE_USER, "accounts.user.roles")
    _not_self(actor, user, "角色")
    return services.set_user_roles(user=user, role_codes=check_role_codes(role_codes), actor=actor)


def set_user_organization(*, user: User, organization: Organization | None, actor: User) -> User:
    _require(actor, CHANGE_USER, "accounts.user.organization")
    with transaction.atomic():
        before = user.organization_id
        user.organization = organization
        user.save(update_fields=["organization"])
        audit.record(
            action="accounts.user.organization",
            actor=actor,
            obj=user,
            detail={"from": before, "to": organization.pk if organization else None},
        )
    return user


def set_user_active(*, user: User, active: bool, actor: User) -> User:
    """Enable or disable an account through ``services.set_user_active`` (sessions killed, tokens
    refused); an administrator cannot disable their own account here."""
    _require(actor, CHANGE_USER, "accounts.user.active")
    _not_self(actor, user, "账户状态")
    return services.set_user_active(user=user, active=active, actor=actor)


def allowed_permissions(role: Role) -> list[Permission]:
    """The permissions the security console may offer for ``role``."""
    perms = Permission.objects.select_related("content_type").filter(
        content_type__app_label__in=PERMISSION_APPS
    )
    if role.is_separated_admin:
        declared = set(ROLE_BY_CODE[role.code].permissions) if role.code in ROLE_BY_CODE else set()
        return [p for p in perms if _label(p) in declared]
    # Business roles: no administrator-only permission, and nothing of accounts/audit that no
    # business role is declared with (user, role, session and audit administration).
    return [
        p
        for p in perms
        if _label(p) not in ADMIN_ONLY_PERMISSIONS
        and (p.content_type.app_label not in ADMIN_APPS or _label(p) in BUSINESS_PERMISSIONS)
    ]


def set_role_permissions(*, role: Role, permission_codes: Iterable[str], actor: User) -> Role:
    """The security administrator sets a role's permissions ("app_label.codename")."""
    _require(actor, CHANGE_ROLE, "accounts.role.permissions")
    wanted = sorted(set(permission_codes))
    offered = {_label(p): p for p in allowed_permissions(role)}
    refused = [code for code in wanted if code not in offered]
    if refused:
        message = (
            "三员角色不得授予业务数据或其他管理员的权限"
            if role.is_separated_admin
            else "业务角色不得授予管理员专属权限"
        )
        audit.record(
            action="accounts.role.permissions",
            actor=actor,
            obj=role,
            outcome="failed",
            detail={"refused": refused[:50]},
        )
        raise ValidationError(
            message, code="separated_admin", fields={"permissions": [f"{message}：{'、'.join(refused[:10])}"]}
        )
    with transaction.atomic():
        before = {_label(p) for p in role.permissions.select_related("content_type")}
        role.permissions.set([offered[code] for code in wanted])
        audit.record(
            action="accounts.role.permissions",
            actor=actor,
            obj=role,
            detail={"added": sorted(set(wanted) - before), "removed": sorted(before - set(wanted))},
        )
    return role


def record_console_view(*, actor: Any, console: str, page: str) -> None:
    """Console pages list users, tokens and locks: the visit of an administrator is audited too."""
    audit.record(action=f"accounts.console.{console}", actor=actor, detail={"page": page})
