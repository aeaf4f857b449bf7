"""``zhujian worker``: run background jobs and the periodic schedule."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_tasks_db.management.commands.db_worker import Worker

from zhujian.core import jobs


class Command(BaseCommand):
    help = "运行后台任务与周期任务（django-tasks 数据库队列）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="空闲时轮询间隔（秒）")
        parser.add_argument("--schedule-interval", type=float, default=30.0, help="周期任务检查间隔（秒）")
        parser.add_argument("--no-schedule", action="store_true", help="不运行周期任务调度")
        parser.add_argument("--max-tasks", type=int, default=None, help="执行若干任务后退出（测试用）")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs.discover()
        scheduler = None
        if not options["no_schedule"]:
            scheduler = jobs.Scheduler(interval=options["schedule_interval"])
            scheduler.start()
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=f"zhujian-{os.getpid()}",
            excluded_queue_names=[],
        )
        self.stdout.write(f"后台任务进程已启动：周期任务 {len(jobs.registered())} 个")
        try:
            with jobs.acting_as_system():
                worker.run()
        finally:
            if scheduler is not None:
                scheduler.stopped.set()
