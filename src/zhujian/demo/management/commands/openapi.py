"""``zhujian openapi``: write the committed OpenAPI document (docs/openapi.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def openapi_text() -> str:
    from zhujian.api import api

    schema = api.get_openapi_schema()
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "生成 OpenAPI 文档（提交到 docs/openapi.json，测试会检查是否漂移）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="docs/openapi.json")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(openapi_text(), encoding="utf-8")
        self.stdout.write(f"已写入 {path}")
