"""Background jobs of audit: the daily retention purge."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from zhujian.audit import retention
from zhujian.core.jobs import periodic


@periodic(every=timedelta(days=1))
@task()
def purge_audit_log() -> int:
    """Purge records older than ``ZHUJIAN_AUDIT_RETENTION_DAYS``; the actor is the system principal
    the worker binds, and the purge appends its own anchor record."""
    return retention.purge_expired()
