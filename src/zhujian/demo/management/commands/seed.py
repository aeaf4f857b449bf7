"""``zhujian seed``: the demo city, or a large data set for benchmarks (``--projects 100000``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhujian.core.jobs import acting_as_system
from zhujian.demo.seed import seed_city
from zhujian.registry import seed as registry_seed
from zhujian.registry.models import Project


class Command(BaseCommand):
    help = "生成演示城市数据；--projects N 追加 N 个项目（用于性能测试）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=None, help="追加的项目数量")
        parser.add_argument("--enterprises", type=int, default=None, help="首次生成的企业数量")
        parser.add_argument("--seed", type=int, default=20261126, help="随机种子")

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as_system("cli"):
            self._seed(options)

    def _seed(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        if options["projects"] is None:
            seed_city()
        else:
            n = options["projects"]
            if not Project.objects.exists():
                seed_city(projects=0, enterprises=options["enterprises"] or max(850, n // 100))
            registry_seed.seed_registry(
                projects=n,
                enterprises=options["enterprises"] or max(850, n // 100),
                seed=options["seed"] + Project.objects.count(),
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(f"完成：共 {Project.objects.count()} 个项目，用时 {elapsed:.1f} 秒")
