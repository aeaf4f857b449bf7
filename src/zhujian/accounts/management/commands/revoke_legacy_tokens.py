"""``zhujian revoke_legacy_tokens``: revoke personal tokens minted without MFA (before issue 3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhujian.accounts import services


class Command(BaseCommand):
    help = "吊销所有未经双因素认证签发的个人令牌（升级前签发的令牌），并记录一条批量审计"

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.revoke_legacy_tokens()
        self.stdout.write(f"已吊销 {count} 个未经双因素认证签发的个人令牌")
