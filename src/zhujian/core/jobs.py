"""Periodic schedules on top of the django-tasks queue (docs/decisions/0003-job-queue.md).

``@periodic(every=...)`` registers a task; ``enqueue_due()`` — called by ``zhujian worker``'s
scheduler loop — enqueues each task whose interval has passed. The last-enqueued time is a row
locked while it is checked, so several workers never enqueue the same run twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from zhujian.core import request_context

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any  # a django_tasks Task
    every: timedelta


_REGISTRY: dict[str, PeriodicJob] = {}
# Returns the named system principal jobs act as (accounts registers it: core imports no app).
_principal_loader: Callable[[], Any] | None = None


def set_principal_loader(loader: Callable[[], Any]) -> None:
    global _principal_loader
    _principal_loader = loader


@contextmanager
def acting_as_system(channel: str = "job") -> Iterator[None]:
    """Bind the system principal as the actor, so every audit record of a job has one."""
    user = _principal_loader() if _principal_loader is not None else None
    with request_context.bind(request_context.RequestContext(user=user, channel=channel)):
        yield


def periodic(*, every: timedelta) -> Callable[[Any], Any]:
    def register(task: Any) -> Any:
        name = task.module_path
        _REGISTRY[name] = PeriodicJob(name=name, task=task, every=every)
        return task

    return register


def registered() -> list[PeriodicJob]:
    return sorted(_REGISTRY.values(), key=lambda job: job.name)


def discover() -> None:
    """Import every app's ``tasks`` module so their ``@periodic`` declarations register."""
    autodiscover_modules("tasks")


def enqueue_due(now: datetime | None = None) -> list[str]:
    from zhujian.core.models import PeriodicJobRun

    now = now or timezone.now()
    enqueued: list[str] = []
    for job in registered():
        with transaction.atomic():
            run, _ = PeriodicJobRun.objects.select_for_update().get_or_create(name=job.name)
            if run.last_enqueued_at is not None and now - run.last_enqueued_at < job.every:
                continue
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            job.task.enqueue()  # same database, same transaction: both commit or neither
        enqueued.append(job.name)
    return enqueued


class Scheduler(threading.Thread):
    """Background thread of the worker that enqueues due periodic jobs."""

    def __init__(self, interval: float = 30.0) -> None:
        super().__init__(name="zhujian-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        with acting_as_system("scheduler"):
            self._loop()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                names = enqueue_due()
                if names:
                    logger.info("enqueued periodic jobs: %s", ", ".join(names))
            except Exception:  # a scheduler must outlive a bad tick (database locked, …)
                logger.exception("periodic scheduling failed; retrying in %ss", self.interval)
            self.stopped.wait(self.interval)
