"""Django's ``flush``, able to empty the append-only audit table.

The audit triggers refuse DELETE/TRUNCATE, which would make every transactional test's teardown
(pytest-django ``transactional_db``, ``TransactionTestCase``) fail. This override runs the flush
SQL under ``audit.services.maintenance()`` — automatically in a test environment, and otherwise
only with ``--include-audit`` (an operator resetting a demo database must say so).

On SQLite the one-row maintenance flag table is left out of the flush (its row is reset to 0 by
``maintenance()``), so the triggers keep working in the flushed database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import flush
from django.db import connections

from zhujian.audit import services
from zhujian.audit.models import AuditMaintenance
from zhujian.audit.triggers import APPEND_ONLY_MESSAGE


def _in_test_environment() -> bool:
    from django.test.utils import _TestState  # set by setup_test_environment(), which pytest-django runs

    return getattr(_TestState, "saved_data", None) is not None


class Command(flush.Command):
    stealth_options = (*flush.Command.stealth_options, "include_audit")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--include-audit",
            action="store_true",
            dest="include_audit",
            help="也清空只追加的审计表（测试环境中自动启用）",
        )

    def handle(self, **options: Any) -> None:
        if not (options.get("include_audit") or _in_test_environment()):
            try:
                super().handle(**options)
            except CommandError as exc:
                if APPEND_ONLY_MESSAGE in str(exc.__cause__):
                    raise CommandError(
                        "审计表只能追加，flush 被拒绝。确需清空（仅限演示或测试库）时加 --include-audit。"
                    ) from exc
                raise
            return
        alias = options["database"]
        connection = connections[alias]
        original = connection.ops.execute_sql_flush
        flag_table = connection.ops.quote_name(AuditMaintenance._meta.db_table)

        def execute_under_maintenance(sql_list: Iterable[str]) -> None:
            if connection.vendor == "sqlite":
                keep_flag = f"DELETE FROM {flag_table}"  # noqa: S608 - a prefix to match, not a query
                sql_list = [sql for sql in sql_list if not sql.startswith(keep_flag)]
            with services.maintenance(using=alias):
                original(sql_list)

        connection.ops.execute_sql_flush = execute_under_maintenance  # type: ignore[method-assign]
        try:
            super().handle(**options)
        finally:
            del connection.ops.execute_sql_flush  # back to the class's method
