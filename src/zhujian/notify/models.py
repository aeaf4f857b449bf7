"""In-app notifications (站内消息). The SMS/e-mail outbox comes with a later issue."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models

from zhujian.core.models import ScopedQuerySet


class NotificationQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        # A notification is private to its recipient, whatever the recipient's role.
        return self.filter(recipient=user)


class Notification(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "提示"
        WARNING = "warning", "预警"
        URGENT = "urgent", "紧急"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    level = models.CharField("级别", max_length=16, choices=Level.choices, default=Level.INFO)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notify_unread_idx")]

    def __str__(self) -> str:
        return self.title
