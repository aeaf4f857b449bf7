"""System check: the append-only triggers are in place (SQLite table rebuilds drop them)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError, connections, router

from zhujian.audit import triggers
from zhujian.audit.models import AuditEvent


@checks.register(checks.Tags.database)
def audit_triggers_installed(databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    table = AuditEvent._meta.db_table
    for alias in databases or ():
        if not router.allow_migrate_model(alias, AuditEvent):
            continue
        conn = connections[alias]
        try:
            if table not in conn.introspection.table_names():
                continue  # not migrated yet
            missing = triggers.expected(conn.vendor) - triggers.installed(conn, table=table)
        except (DatabaseError, NotImplementedError):
            continue
        if missing:
            messages.append(
                checks.Warning(
                    f"审计表 {table} 缺少防篡改触发器：{', '.join(sorted(missing))}",
                    hint=(
                        "运行 zhujian.audit.triggers.install()（或重新执行 audit 迁移）；"
                        "若非有意为之，请调查。"
                    ),
                    id="audit.W001",
                )
            )
    return messages
