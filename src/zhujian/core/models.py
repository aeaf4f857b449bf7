"""Shared model bases. core holds no domain tables (DESIGN.md)."""

from __future__ import annotations

from typing import Any, Self

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to what a user may see.

    Subclasses implement ``scope_filter(user)``; every read of scoped data starts from
    ``Model.objects.visible_to(user)`` (DESIGN.md, Scoped reads).
    """

    def scope_filter(self, user: Any) -> Self:  # pragma: no cover - abstract
        raise NotImplementedError

    def visible_to(self, user: Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.scope_filter(user)


class PeriodicJobRun(models.Model):
    """When each periodic job was last enqueued: lets several workers share one schedule."""

    name = models.CharField("任务", max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField("最近排队时间", null=True, blank=True)

    class Meta:
        verbose_name = "周期任务"
        verbose_name_plural = "周期任务"

    def __str__(self) -> str:
        return self.name
