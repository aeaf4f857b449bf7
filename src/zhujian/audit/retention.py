"""Audit log retention (网络安全法 Art. 23 as amended, in force 2026-01-01: at least six months).

``ZHUJIAN_AUDIT_RETENTION_DAYS`` (default 365, never below :data:`MIN_RETENTION_DAYS`) says how
long records are kept; the daily job in ``audit.tasks`` purges what is older with
``services.purge_before``, which leaves an anchor record. On PostgreSQL the purge runs on the
*owner* connection (``ZHUJIAN_OWNER_DATABASE_URL``, alias ``owner``): the application role does
not own the audit table, so the trigger refuses it even with the maintenance flag set.

This module is imported by ``settings`` for :func:`validated_days`: nothing here may touch models
at import time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

MIN_RETENTION_DAYS = 184  # six months, rounded up to the longest six calendar months
DEFAULT_RETENTION_DAYS = 365
OWNER_ALIAS = "owner"


def validated_days(value: int) -> int:
    """The retention period, or ImproperlyConfigured (start-up stops) when it is too short."""
    if value < MIN_RETENTION_DAYS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"ZHUJIAN_AUDIT_RETENTION_DAYS={value} 低于法定下限：网络安全法第二十三条（2026-01-01 起施行）"
            f"要求网络日志留存不少于六个月，"
            f"请设为 {MIN_RETENTION_DAYS} 天或以上（默认 {DEFAULT_RETENTION_DAYS}）"
        )
    return value


def retention_days() -> int:
    from django.conf import settings

    return validated_days(int(getattr(settings, "ZHUJIAN_AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def owner_alias() -> str:
    """The connection that owns the audit table: ``owner`` when configured, else ``default``."""
    from django.conf import settings

    return OWNER_ALIAS if OWNER_ALIAS in settings.DATABASES else "default"


def purge_expired(*, now: datetime | None = None, actor: Any = None) -> int:
    """Delete the records older than the retention period (on the owner connection); returns how many."""
    from django.utils import timezone

    from zhujian.audit import services

    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    return services.purge_before(cutoff=cutoff, actor=actor, using=owner_alias())
