"""``audit verify`` and ``audit export``: check the chain, ship it off the host.

    zhujian audit verify
    zhujian audit export --since 2025-01-01 --format jsonl > audit-2025.jsonl
    zhujian audit export --after-id 123456 > audit-incremental.jsonl

Export lines carry ``id``, ``prev_hash``, ``chain_hash`` and the hashed fields in their canonical
form (see ``zhujian.audit.chain``), so the copy can be re-verified with SM3 alone. For incremental
shipping prefer ``--after-id``: ids follow chain order, timestamps need not be monotonic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, router
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from zhujian.audit import chain, services, triggers
from zhujian.audit.models import AuditEvent


def _parse_since(value: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"无法识别的时间：{value!r}（应为 YYYY-MM-DD 或 ISO 8601 时间）")
        parsed = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # an operator's bare time is local (Asia/Shanghai)
    return parsed


class Command(BaseCommand):
    help = "审计链校验与导出（verify / export）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="重新计算哈希链，报告第一处断裂")
        verify.add_argument("--database", default=None, help="数据库别名（默认按路由）")
        export = sub.add_parser("export", help="以 JSON Lines 导出审计记录到标准输出")
        export.add_argument(
            "--since", default=None, help="起始时间（含），YYYY-MM-DD 或 ISO 8601；无时区按本地时间"
        )
        export.add_argument("--after-id", type=int, default=None, help="只导出编号大于此值的记录")
        export.add_argument("--format", choices=["jsonl"], default="jsonl")
        export.add_argument("--database", default=None, help="数据库别名（默认按路由）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options["database"])
        else:
            self._export(options)

    def _verify(self, using: str | None) -> None:
        using = using or router.db_for_read(AuditEvent)
        result = services.verify(using=using)
        if not result.ok:
            raise CommandError(
                f"审计链断裂：记录 #{result.first_broken_id}：{result.reason}"
                f"（此前已校验 {result.checked} 条）"
            )
        self.stdout.write(f"审计链完整：已校验 {result.checked} 条")
        conn = connections[using]
        missing = triggers.expected(conn.vendor) - triggers.installed(conn, table=AuditEvent._meta.db_table)
        if missing:
            raise CommandError(f"审计表缺少防篡改触发器：{', '.join(sorted(missing))}")

    def _export(self, options: dict[str, Any]) -> None:
        qs = AuditEvent.objects.using(options["database"] or router.db_for_read(AuditEvent)).order_by("id")
        if options["since"]:
            qs = qs.filter(occurred_at__gte=_parse_since(options["since"]))
        if options["after_id"] is not None:
            qs = qs.filter(id__gt=options["after_id"])
        names = ["id", "prev_hash", "chain_hash", *chain.HASHED_FIELDS]
        try:
            for row in qs.values(*names).iterator(chunk_size=2000):
                line = {
                    "id": row["id"],
                    "prev_hash": row["prev_hash"],
                    "chain_hash": row["chain_hash"],
                    **chain.canonical_fields(row),
                }
                self.stdout.write(json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, and keep Python's exit flush quiet too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
