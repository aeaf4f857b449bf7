"""Every write to organisations, users, roles and tokens (DESIGN.md, One write path)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from zhujian.accounts import passwords
from zhujian.accounts.models import (
    ApiToken,
    LoginFailure,
    LoginKey,
    LoginLock,
    Organization,
    PasswordHistory,
    Role,
    User,
    UserSession,
)
from zhujian.accounts.roles import ROLES, SEPARATED_ADMIN_CODES
from zhujian.audit import services as audit
from zhujian.audit.access import require_permission
from zhujian.audit.chain import payload_digest
from zhujian.core.errors import PermissionDenied, ValidationError

SYSTEM_USERNAME = "system"
TOKEN_PREFIX = "zj_"  # noqa: S105 - a marker for secret scanners, not a secret
# Touch last_used_at at most this often: a write per API call would cost more than the call.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def sync_roles(*, audited: bool = True) -> int:
    """Create or update the roles of ``accounts.roles`` with the permissions that exist.

    A three-way merge: permissions that roles.py added since the last sync are granted, those it
    dropped are withdrawn, and what the security administrator changed in between stays.
    ``migrate`` runs it unaudited, as part of the deployment (like Django creating permissions
    and the migrations themselves); a sync asked for by a person or a command is audited.
    """
    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    with transaction.atomic():
        for spec in ROLES:
            role, created = Role.objects.update_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "description": spec.description,
                    "is_separated_admin": spec.separated_admin,
                },
            )
            wanted = {name for name in spec.permissions if name in perms}
            if created:
                role.permissions.set([perms[name] for name in wanted])
            else:
                previous = set(role.default_permissions)
                role.permissions.add(*(perms[name] for name in wanted - previous))
                role.permissions.remove(*(perms[name] for name in previous - wanted if name in perms))
            role.default_permissions = sorted(wanted)
            role.save(update_fields=["default_permissions"])
        if audited:
            audit.record(action="accounts.roles.sync", count=len(ROLES))
    return len(ROLES)


def system_principal() -> User:
    """The named principal that jobs and ingest act as, so every audit record has an actor."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        with transaction.atomic():
            user, _ = User.objects.get_or_create(
                username=SYSTEM_USERNAME,
                defaults={"full_name": "平台系统", "kind": User.Kind.SYSTEM, "is_active": True},
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user


def create_organization(
    *,
    name: str,
    kind: str,
    region_code: str,
    parent: Organization | None = None,
    department_kind: str = "",
    actor: Any = None,
) -> Organization:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["请填写机构名称"]
    if kind not in Organization.Kind.values:
        errors["kind"] = ["机构类别无效"]
    if errors:
        raise ValidationError("机构信息有误", fields=errors)
    with transaction.atomic():
        if Organization.objects.filter(kind=kind, region_id=region_code, name=name).exists():
            raise ValidationError(
                "同一区划下已有同名机构", code="duplicate", fields={"name": ["同一区划下已有同名机构"]}
            )
        org = Organization.objects.create(
            name=name, kind=kind, region_id=region_code, parent=parent, department_kind=department_kind
        )
        audit.record(action="accounts.organization.create", actor=actor, obj=org)
    return org


def create_user(
    *,
    username: str,
    full_name: str,
    organization: Organization | None,
    password: str | None,
    role_codes: list[str] | tuple[str, ...] = (),
    actor: Any = None,
    email: str = "",
) -> User:
    username = (username or "").strip()
    if not username:
        raise ValidationError("请填写用户名", fields={"username": ["请填写用户名"]})
    user = User(username=username, full_name=full_name, organization=organization, email=email)
    if password:
        _validate_password(password, user, "password")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationError("用户名已存在", code="duplicate", fields={"username": ["用户名已存在"]})
        user.set_unusable_password()
        user.save()
        if password:
            _store_password(user, password)
        _set_roles(user, role_codes)
        audit.record(
            action="accounts.user.create", actor=actor, obj=user, detail={"roles": sorted(role_codes)}
        )
    return user


def _set_roles(user: User, role_codes: list[str] | tuple[str, ...]) -> None:
    codes = set(role_codes)
    if len(codes & SEPARATED_ADMIN_CODES) > 1:
        # 三员分立: system, security and audit administration never sit with one person.
        raise ValidationError(
            "系统管理员、安全管理员、审计管理员不得由同一用户兼任",
            code="separated_admin",
            fields={"roles": ["三员角色互斥"]},
        )
    roles = list(Role.objects.filter(code__in=codes))
    missing = codes - {r.code for r in roles}
    if missing:
        raise ValidationError("角色不存在：" + "、".join(sorted(missing)), fields={"roles": ["角色不存在"]})
    user.roles.set(roles)


def set_user_roles(*, user: User, role_codes: list[str], actor: Any) -> User:
    with transaction.atomic():
        _set_roles(user, role_codes)
        audit.record(
            action="accounts.user.roles", actor=actor, obj=user, detail={"roles": sorted(role_codes)}
        )
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _new_token(
    *,
    user: User,
    kind: str,
    name: str,
    created_by: User | None,
    expires_at: datetime | None,
    minted_with_mfa: bool = False,
) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    token = ApiToken.objects.create(
        user=user,
        kind=kind,
        name=name.strip() or "API 令牌",
        token_hash=_hash_token(raw),
        prefix=raw[:10],
        created_by=created_by,
        expires_at=expires_at,
        minted_with_mfa=minted_with_mfa,
    )
    return token, raw


def mint_personal_token(
    *, user: User, name: str, mfa_verified: bool, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A personal token for a logged-in person. The raw value is returned once and never stored.

    ``mfa_verified``: the caller's session passed the second factor (``mfa.session_verified``);
    without it nothing is minted, in demo mode too (issue 3).
    """
    from zhujian.accounts.mfa import MfaRequired

    if user.kind != User.Kind.PERSON or not user.is_active:
        audit.record(
            action="access.denied", actor=user, outcome="denied", detail={"operation": "accounts.token.mint"}
        )
        raise PermissionDenied("只有在岗人员可以创建个人令牌")
    if not mfa_verified:
        audit.record(
            action="access.denied",
            actor=user,
            outcome="denied",
            detail={"operation": "accounts.token.mint", "reason": "mfa_required"},
        )
        raise MfaRequired("创建个人令牌前须通过双因素认证（动态口令），请先绑定并验证动态口令")
    with transaction.atomic():
        token, raw = _new_token(
            user=user,
            kind=ApiToken.Kind.PERSONAL,
            name=name,
            created_by=user,
            expires_at=expires_at,
            minted_with_mfa=True,
        )
        audit.record(action="accounts.token.mint", actor=user, obj=token, detail={"kind": "personal"})
    return token, raw


def issue_machine_token(
    *,
    organization: Organization,
    name: str,
    actor: User,
    expires_at: datetime | None = None,
    role_codes: tuple[str, ...] = (),
) -> tuple[ApiToken, str]:
    """An organisation-scoped token for a system (a lab, the finance system), by the system admin.

    The machine principal gets the given roles (a lab: ``lab``) so its permissions are explicit.
    """
    require_permission(
        actor,
        "accounts.issue_machine_token",
        message="只有系统管理员可以签发系统令牌",
        organization=organization.pk,
    )
    with transaction.atomic():
        username = f"machine-{organization.pk}-{secrets.token_hex(4)}"
        principal = User(
            username=username,
            full_name=f"{organization.name}（系统接入）",
            kind=User.Kind.MACHINE,
            organization=organization,
        )
        principal.set_unusable_password()
        principal.save()
        _set_roles(principal, role_codes)
        token, raw = _new_token(
            user=principal, kind=ApiToken.Kind.MACHINE, name=name, created_by=actor, expires_at=expires_at
        )
        audit.record(
            action="accounts.token.issue_machine",
            actor=actor,
            obj=token,
            detail={"organization": organization.pk, "roles": sorted(role_codes)},
        )
    return token, raw


def revoke_token(*, token: ApiToken, actor: User) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        audit.record(action="accounts.token.revoke", actor=actor, obj=token)
    return token


# The organisation comes in the same query; scope needs only these fields, the rest load lazily.
_ORG_FIELDS = ("id", "name", "kind", "region_id", "parent_id", "department_kind", "is_active")
_ORG_COLUMNS = ", ".join(f"o.{name} AS org__{name}" for name in _ORG_FIELDS)


def _user_by_token_sql(*, production: bool) -> str:
    user, token, role = User._meta.db_table, ApiToken._meta.db_table, Role._meta.db_table
    user_roles = User.roles.through._meta.db_table
    # Whether the user holds a 三员 role, which scope_of would otherwise ask in a query of its own.
    admin = (
        f"EXISTS (SELECT 1 FROM {user_roles} ur JOIN {role} r ON r.id = ur.role_id "  # noqa: S608
        f"WHERE ur.user_id = u.id AND r.is_separated_admin) AS holds_separated_admin"
    )
    # Production mode: a personal token minted without MFA (before issue 3) is dead — the
    # "revoked on upgrade" mechanism, without a data migration that would also hit demo databases.
    legacy = f" AND (t.kind <> '{ApiToken.Kind.PERSONAL.value}' OR t.minted_with_mfa)" if production else ""
    return (
        f"SELECT u.*, t.id AS token_id, (t.last_used_at IS NULL OR t.last_used_at < %s) AS token_stale, "  # noqa: S608
        f"{admin}, {_ORG_COLUMNS} "
        f"FROM {user} u JOIN {token} t ON t.user_id = u.id "
        f"LEFT JOIN {Organization._meta.db_table} o ON o.id = u.organization_id "
        f"WHERE t.token_hash = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %s) "
        f"AND u.is_active{legacy}"
    )


def authenticate_token(raw: str) -> User | None:
    """The active user behind a bearer token, or None. Unknown, revoked and expired look alike.

    This runs on every API call, so it is one raw query (token, user, organisation and whether the
    user holds a 三员 role) instead of ORM queries whose compilation alone cost more than 1 ms;
    revocation, expiry and deactivation still take effect on the next request.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    stale_before = connection.ops.adapt_datetimefield_value(now - TOKEN_TOUCH_INTERVAL)
    sql = _user_by_token_sql(production=not getattr(settings, "DEMO_MODE", False))
    users = list(User.objects.raw(sql, [stale_before, _hash_token(raw), db_now]))
    if not users:
        return None
    user = users[0]
    if user.organization_id is not None:
        row = {name: getattr(user, f"org__{name}") for name in _ORG_FIELDS}
        row["is_active"] = bool(row["is_active"])  # SQLite answers 0/1
        # from_db wants the loaded fields in model order; the others stay deferred.
        names = [f.attname for f in Organization._meta.concrete_fields if f.attname in row]
        user.organization = Organization.from_db(connection.alias, names, [row[n] for n in names])
    if user.token_stale:  # type: ignore[attr-defined]
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)  # type: ignore[attr-defined]
    return user


def record_login(*, user: User | None, username: str, success: bool) -> None:
    """Every login attempt is audited; the username is kept even when no such user exists."""
    audit.record(
        action="accounts.login",
        actor=user if success else None,
        actor_label=username[:150],
        outcome="success" if success else "failed",
    )


def record_logout(*, user: User) -> None:
    audit.record(action="accounts.logout", actor=user)


def revoke_legacy_tokens(*, actor: User | None = None) -> int:
    """Mark every live personal token minted without MFA revoked; one bulk audit record.

    Production mode already refuses them (``authenticate_token``); this makes it visible and
    permanent (``zhujian revoke_legacy_tokens``).
    """
    actor = actor or system_principal()
    with transaction.atomic():
        legacy = ApiToken.objects.filter(
            kind=ApiToken.Kind.PERSONAL, minted_with_mfa=False, revoked_at__isnull=True
        )
        ids = sorted(legacy.values_list("id", flat=True))
        count = ApiToken.objects.filter(id__in=ids).update(revoked_at=timezone.now())
        audit.record_bulk(
            action="accounts.token.revoke_legacy",
            actor=actor,
            count=count,
            payload_digest=payload_digest(",".join(map(str, ids))),
            detail={"reason": "minted_without_mfa"},
        )
    return count


# ---------------------------------------------------------------------------------------------
# Sessions (accounts.sessions)


def kill_sessions(*, user: User) -> int:
    """Delete every session of the user (server-side logout everywhere) through the index."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    deleted, _ = Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return deleted


def prune_session_index() -> int:
    """Forget index rows whose session no longer exists (expired and cleared)."""
    live = Session.objects.filter(session_key=models.OuterRef("session_key"))
    deleted, _ = UserSession.objects.exclude(models.Exists(live)).delete()
    return deleted


def set_user_active(*, user: User, active: bool, actor: User) -> User:
    """Enable or disable a user. Disabling kills their sessions at once; their tokens are refused
    from the next request (``authenticate_token`` joins on ``is_active``)."""
    require_permission(
        actor,
        "accounts.change_user",
        message="只有系统管理员可以启用或停用用户",
        operation="accounts.user.active",
    )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        sessions = 0 if active else kill_sessions(user=user)
        audit.record(
            action="accounts.user.enable" if active else "accounts.user.disable",
            actor=actor,
            obj=user,
            detail={"sessions": sessions},
        )
    return user


# ---------------------------------------------------------------------------------------------
# Passwords (accounts.passwords holds the policy; decision 0010)


def _validate_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(
            "密码不符合安全策略", code="weak_password", fields={field: list(exc.messages)}
        ) from exc


def _store_password(user: User, raw: str) -> None:
    """Set the password, stamp the change and keep its hash in the history (pruned to the policy)."""
    user.set_password(raw)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    PasswordHistory.objects.create(user=user, password_hash=user.password)
    keep = max(passwords.history_size(), 1)
    stale = PasswordHistory.objects.filter(user=user).order_by("-id").values_list("id", flat=True)[keep:]
    PasswordHistory.objects.filter(id__in=list(stale)).delete()


def change_password(*, user: User, old_password: str, new_password: str) -> User:
    """A person changes their own password: the old one first, then the policy, then history."""
    if not user.check_password(old_password or ""):
        audit.record(
            action="accounts.password.change",
            actor=user,
            outcome="failed",
            detail={"reason": "wrong_old_password"},
        )
        raise ValidationError(
            "原密码不正确", code="wrong_password", fields={"old_password": ["原密码不正确"]}
        )
    try:
        _validate_password(new_password or "", user, "new_password")
    except ValidationError:
        audit.record(
            action="accounts.password.change", actor=user, outcome="failed", detail={"reason": "policy"}
        )
        raise
    with transaction.atomic():
        _store_password(user, new_password)
        audit.record(action="accounts.password.change", actor=user, obj=user)
    return user


def set_password_by_admin(*, user: User, new_password: str, actor: User) -> User:
    """The system administrator sets a person's password (a reset); the policy applies the same."""
    require_permission(
        actor,
        "accounts.change_user",
        message="只有系统管理员可以重置密码",
        operation="accounts.password.reset",
    )
    _validate_password(new_password or "", user, "new_password")
    with transaction.atomic():
        _store_password(user, new_password)
        audit.record(action="accounts.password.reset", actor=actor, obj=user)
    return user


# ---------------------------------------------------------------------------------------------
# Login failures and locks (decision 0010). Called by backends.RoleBackend, so every password
# login path (the login page, the Django admin, a bare authenticate()) shares them.


def lockout_minutes() -> int:
    return int(getattr(settings, "ZHUJIAN_LOCKOUT_MINUTES", 30))


def locked_message() -> str:
    return f"账户已锁定，请 {lockout_minutes()} 分钟后再试"


def login_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _lock_targets(username: str, ip: str | None) -> list[tuple[str, str, int]]:
    targets = [
        (LoginKey.USERNAME.value, login_key(username), int(getattr(settings, "ZHUJIAN_LOCKOUT_FAILURES", 5)))
    ]
    if ip:
        targets.append(
            (LoginKey.ADDRESS.value, ip[:150], int(getattr(settings, "ZHUJIAN_LOCKOUT_ADDRESS_FAILURES", 20)))
        )
    return targets


def active_lock(*, username: str, ip: str | None) -> LoginLock | None:
    """The lock that refuses this attempt (on the username or on the address), if any."""
    condition = Q()
    for kind, key, _ in _lock_targets(username, ip):
        condition |= Q(kind=kind, key=key)
    return LoginLock.objects.filter(condition, locked_until__gt=timezone.now()).first()


def record_locked_attempt(*, username: str, lock: LoginLock) -> None:
    audit.record(
        action="accounts.login",
        actor_label=username[:150] or "anonymous",
        outcome="failed",
        detail={"reason": "locked", "lock": lock.kind},
    )


def register_login_failure(*, username: str, ip: str | None, audit_login: bool = True) -> list[LoginLock]:
    """Count a failed login against the username and the address; lock what went over the limit."""
    now = timezone.now()
    window = now - timedelta(minutes=lockout_minutes())
    locks: list[tuple[LoginLock, int]] = []
    with transaction.atomic():
        for kind, key, limit in _lock_targets(username, ip):
            LoginFailure.objects.create(kind=kind, key=key, at=now)
            failures = LoginFailure.objects.filter(kind=kind, key=key, at__gte=window).count()
            if failures >= limit:
                lock, _ = LoginLock.objects.update_or_create(
                    kind=kind,
                    key=key,
                    defaults={
                        "locked_at": now,
                        "locked_until": now + timedelta(minutes=lockout_minutes()),
                        "failures": failures,
                    },
                )
                # The lock now carries the state: when it ends, counting starts afresh.
                LoginFailure.objects.filter(kind=kind, key=key).delete()
                locks.append((lock, failures))
    # Recorded after the transaction: a failure record inside one would wait for a flush.
    if audit_login:  # a wrong MFA code is audited by accounts.mfa as such
        record_login(user=None, username=username, success=False)
    for lock, failures in locks:
        audit.record(
            action="accounts.lockout",
            actor_label=username[:150] or "anonymous",
            object_type="accounts.loginlock",
            object_id=str(lock.pk),
            object_repr=f"{lock.kind}:{lock.key}",
            detail={"kind": lock.kind, "failures": failures, "until": lock.locked_until},
        )
    return [lock for lock, _ in locks]


def clear_login_failures(*, username: str) -> None:
    """A successful login forgets the username's failures (not the address's)."""
    LoginFailure.objects.filter(kind=LoginKey.USERNAME, key=login_key(username)).delete()


def unlock_login(*, kind: str, key: str, actor: User) -> int:
    """The system administrator lifts a lock before it runs out."""
    require_permission(
        actor, "accounts.change_user", message="只有系统管理员可以解除锁定", operation="accounts.unlock"
    )
    with transaction.atomic():
        deleted, _ = LoginLock.objects.filter(kind=kind, key=key).delete()
        LoginFailure.objects.filter(kind=kind, key=key).delete()
        audit.record(
            action="accounts.unlock", actor=actor, detail={"kind": kind, "key": key, "count": deleted}
        )
    return deleted
