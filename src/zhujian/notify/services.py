"""Writes for notifications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhujian.audit import services as audit
from zhujian.notify.models import Notification


def notify(
    *, recipient: Any, title: str, body: str = "", link: str = "", level: str = Notification.Level.INFO
) -> Notification | None:
    """Send an in-app notification. Principals that are not people receive nothing."""
    if recipient is None or getattr(recipient, "kind", "person") != "person" or not recipient.is_active:
        return None
    return Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, link=link[:300], level=level
    )


def mark_read(*, user: Any, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    qs = Notification.objects.visible_to(user).filter(read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(id__in=notification_ids)
    with transaction.atomic():
        count = qs.update(read_at=timezone.now())
    return count


def purge_read_older_than(*, days: int = 180) -> int:
    """Drop read notifications after a retention period (a periodic job)."""
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        deleted, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
        audit.record(action="notify.purge", count=deleted, detail={"days": days})
    return deleted
