"""``zhujian bootstrap``: the three separated administrators instead of a superuser (三员分立).

Creates ``sysadmin`` (系统管理员), ``secadmin`` (安全管理员) and ``auditadmin`` (审计管理员), each
with a generated one-time password printed once. The password is stamped as changed long ago, so
under the 等保 policy (decision 0010) the first login is confined to the change page; in production
mode each must also bind a TOTP authenticator first (accounts.mfa). Refuses if any of them exists.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhujian.accounts import services
from zhujian.accounts.models import Organization, Role, User
from zhujian.audit import services as audit

ADMINS = (
    ("sysadmin", "系统管理员", "system_admin"),
    ("secadmin", "安全管理员", "security_admin"),
    ("auditadmin", "审计管理员", "audit_admin"),
)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def one_time_password() -> str:
    # 16 URL-safe random characters plus one of each class: passes both policy profiles.
    return secrets.token_urlsafe(12) + "-Zq7"


class Command(BaseCommand):
    help = "创建三员账户（系统管理员、安全管理员、审计管理员），一次性密码仅显示一次"

    def handle(self, *args: Any, **options: Any) -> None:
        codes = [code for _, _, code in ADMINS]
        if Role.objects.filter(code__in=codes).count() != len(codes):
            raise CommandError("角色尚未同步，请先运行 zhujian migrate")
        usernames = [name for name, _, _ in ADMINS]
        existing = User.objects.filter(username__in=usernames) | User.objects.filter(roles__code__in=codes)
        if existing.exists():
            raise CommandError(
                "三员账户已存在，拒绝重复创建：" + "、".join(sorted({u.username for u in existing}))
            )
        org = Organization.objects.filter(kind=Organization.Kind.BUREAU).order_by("pk").first()
        actor = services.system_principal()
        created: list[tuple[str, str, str]] = []
        with transaction.atomic():
            for username, label, role in ADMINS:
                password = one_time_password()
                user = services.create_user(
                    username=username,
                    full_name=label,
                    organization=org,
                    password=password,
                    role_codes=[role],
                    actor=actor,
                )
                # Forced change at first login: the password-expiry middleware confines them.
                User.objects.filter(pk=user.pk).update(password_changed_at=LONG_AGO)
                created.append((username, label, password))
            audit.record(action="accounts.bootstrap", actor=actor, count=len(created))
        self.stdout.write("已创建三员账户。以下一次性密码仅显示这一次，首次登录后须立即修改：")
        for username, label, password in created:
            self.stdout.write(f"  {label}  用户名 {username}  密码 {password}")
