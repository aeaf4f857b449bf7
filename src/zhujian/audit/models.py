"""Append-only, hash-chained audit events (DESIGN.md, Audit).

Rows are written only by ``zhujian.audit.services``; database triggers (``audit.triggers``,
installed by migration 0002) refuse UPDATE, DELETE and TRUNCATE unless the maintenance flag is set
for the transaction. How ``chain_hash`` is computed is documented in ``audit.chain``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

ANCHOR_ACTION = "audit.anchor"


class Outcome(models.TextChoices):
    SUCCESS = "success", "成功"
    DENIED = "denied", "拒绝"
    FAILED = "failed", "失败"


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField("发生时间", default=timezone.now)  # stored in UTC
    # DO_NOTHING without a constraint: deleting a user must never cascade into (or be blocked by)
    # the append-only table; actor_label keeps the record readable after the user is gone.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    actor_label = models.CharField("操作人标识", max_length=150, blank=True)
    # Plain text, not GenericIPAddressField: PostgreSQL's inet would re-format the value and the
    # chain hash covers the exact string.
    ip = models.CharField("IP 地址", max_length=45, blank=True)
    request_id = models.CharField("请求号", max_length=64, blank=True)
    channel = models.CharField("渠道", max_length=16, blank=True)
    action = models.CharField("操作", max_length=100)
    object_type = models.CharField("对象类型", max_length=100, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象名称", max_length=200, blank=True)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField("详情", default=dict, blank=True, encoder=DjangoJSONEncoder)
    count = models.PositiveBigIntegerField("数量", null=True, blank=True)
    digest = models.CharField("批量数据摘要", max_length=128, blank=True)
    prev_hash = models.CharField("前序哈希", max_length=64)
    chain_hash = models.CharField("链哈希", max_length=64)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        indexes = [
            models.Index(fields=["occurred_at"], name="audit_time_idx"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]
        constraints = [
            # A second insert with the same predecessor is a fork: the database refuses it even if
            # the append lock were ever bypassed.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_no_fork"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[c.value for c in Outcome]), name="audit_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.outcome} ({self.actor_label})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Fail early and clearly in Python; the trigger is the real guard.
        if not self._state.adding:
            raise TypeError("审计记录只能追加，不能修改")
        if not self.chain_hash:
            raise TypeError("审计记录须经 zhujian.audit.services.record() 写入")
        super().save(*args, **kwargs)


class AnchorManager(models.Manager["AuditAnchor"]):
    def get_queryset(self) -> models.QuerySet[AuditAnchor]:
        return super().get_queryset().filter(action=ANCHOR_ACTION)


class AuditAnchor(AuditEvent):
    """The record a retention purge appends: it names the last purged record and its chain hash,
    so verification can start from the earliest remaining record (see ``services.verify``)."""

    objects = AnchorManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        verbose_name = "审计锚点"
        verbose_name_plural = "审计锚点"

    @property
    def purged_through_id(self) -> int | None:
        value = (self.detail or {}).get("purged_through_id")
        return int(value) if value is not None else None

    @property
    def purged_through_hash(self) -> str:
        return str((self.detail or {}).get("purged_through_hash", ""))


class AuditMaintenance(models.Model):
    """One row: the maintenance flag the SQLite triggers read.

    ``services.maintenance()`` sets it to 1 and back to 0 inside one transaction, so other
    connections never see it set. Unused on PostgreSQL (a ``SET LOCAL`` setting plays its part).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    active = models.BooleanField(default=False)

    class Meta:
        verbose_name = "审计维护标志"
        verbose_name_plural = "审计维护标志"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_maintenance_one_row")]

    def __str__(self) -> str:
        return "on" if self.active else "off"
