"""System checks of the accounts app: production mode refuses a superuser (issue 3, 三员分立).

The check needs the database, so it runs only when Django passes ``databases``: ``migrate``,
``check --database default`` (with or without ``--deploy``) and ``zhujian serve``, which runs it
before starting gunicorn. A database without the user table yet (first ``migrate``) passes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

SUPERUSER_ERROR_ID = "accounts.E001"


def no_superuser_in_production(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    if getattr(settings, "DEMO_MODE", False) or not databases:
        return []
    from zhujian.accounts.models import User

    errors: list[Any] = []
    for alias in databases:
        try:
            names = list(
                User.objects.using(alias)
                .filter(is_superuser=True, is_active=True)
                .values_list("username", flat=True)[:5]
            )
        except DatabaseError:  # the table does not exist yet
            continue
        if names:
            errors.append(
                checks.Error(
                    "生产模式不允许存在超级用户：" + "、".join(names),
                    hint="三员分立：用系统管理员、安全管理员、审计管理员代替超级用户（zhujian bootstrap），"
                    "并取消这些账户的超级用户标记或停用它们。",
                    id=SUPERUSER_ERROR_ID,
                )
            )
    return errors


def register() -> None:
    checks.register(no_superuser_in_production, checks.Tags.security, checks.Tags.database)
