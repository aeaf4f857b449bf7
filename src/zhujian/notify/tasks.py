"""Background jobs of notify."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from zhujian.core.jobs import periodic
from zhujian.notify import services


@periodic(every=timedelta(days=1))
@task()
def purge_read_notifications() -> int:
    return services.purge_read_older_than(days=180)
