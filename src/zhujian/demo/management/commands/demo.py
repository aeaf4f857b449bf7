"""``zhujian demo``: migrate, seed the demo city, then run the worker and the web server."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhujian.core.jobs import acting_as_system
from zhujian.demo.seed import issue_lab_token, seed_city


class Command(BaseCommand):
    help = "一条命令运行演示平台：建库、生成南京市演示数据、启动后台任务与 Web 服务"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--no-serve", action="store_true", help="只建库和生成数据，不启动服务")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("zhujian demo 只能在演示模式下运行（不要设置 ZHUJIAN_MODE=production）")
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        with acting_as_system("cli"):
            credentials = seed_city()
            lab_token = issue_lab_token()
        self.stdout.write(
            f"演示数据就绪（{time.perf_counter() - started:.1f} 秒），数据目录：{settings.DATA_DIR}"
        )
        self._print_credentials(credentials, lab_token)
        if options["no_serve"]:
            return
        worker = subprocess.Popen([sys.executable, "-m", "zhujian.cli", "worker"])
        try:
            call_command("serve", bind=options["bind"], workers=options["workers"])
        finally:
            worker.terminate()
            worker.wait(timeout=15)

    def _print_credentials(self, credentials: list[Any], lab_token: str | None) -> None:
        lines = ["", "演示账号（所有账号密码相同）："]
        lines += [f"  {c.username:<14} {c.password:<14} {c.note}" for c in credentials]
        if lab_token:
            lines.append(f"  检测机构系统令牌（仅显示一次）：{lab_token}")
        lines.append("打开 http://127.0.0.1:8000/ 登录；项目库：http://127.0.0.1:8000/registry/projects/")
        text = "\n".join(lines) + "\n"
        self.stdout.write(text)
        (settings.DATA_DIR / "demo-credentials.txt").write_text(text, encoding="utf-8")
