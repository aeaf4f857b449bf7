"""Reads for notifications, always the asking user's own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhujian.notify.models import Notification


def unread_count(user: Any) -> int:
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.visible_to(user)
    return qs.filter(read_at__isnull=True) if unread_only else qs
