"""``zhujian serve``: the web process under gunicorn (2 × cores + 1 workers by default)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from zhujian.wsgi import application

        return application


SHM = "/dev/shm"  # noqa: S108 - a fixed system path, not a temp file name


def default_bind() -> str:
    # Demo mode binds to loopback only (DESIGN.md, Modes); production sets ZHUJIAN_BIND.
    return os.environ.get("ZHUJIAN_BIND") or ("127.0.0.1:8000" if settings.DEMO_MODE else "0.0.0.0:8000")


class Command(BaseCommand):
    help = "以 gunicorn 运行 Web 服务"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=None, help="监听地址，默认 127.0.0.1:8000（演示模式）")
        parser.add_argument("--workers", type=int, default=None, help="进程数，默认 2×CPU+1")
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        # The checks that need the database (production refuses a superuser: accounts.checks).
        self.check(databases=["default"])
        workers = (
            options["workers"]
            or int(os.environ.get("ZHUJIAN_WEB_WORKERS", 0))
            or 2 * (os.cpu_count() or 1) + 1
        )
        bind = options["bind"] or default_bind()
        self.stdout.write(f"Web 服务：http://{bind}/ （{workers} 个进程）")
        _Gunicorn(
            {
                "bind": bind,
                "workers": workers,
                "threads": options["threads"],
                "accesslog": "-",
                "timeout": 60,
                "graceful_timeout": 10,
                # gunicorn's heartbeat files: RAM-backed where available, as its docs advise.
                "worker_tmp_dir": SHM if os.path.isdir(SHM) else None,
            }
        ).run()
