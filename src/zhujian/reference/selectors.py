"""Reads of reference data. Regions are public by law, so these are not scoped to a user."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from zhujian.core.errors import NotFound
from zhujian.reference.models import Region, RegionQuerySet

DEMO_CITY_CODE = "320100"  # 南京市 (DESIGN.md, Domain model)
REGION_NAMES_TTL = 60.0  # seconds; a renamed region shows its old name at most this long


_names: dict[str, str] = {}
_names_loaded_at = float("-inf")


def region_names() -> dict[str, str]:
    """Code → name of every region, cached per process: lists show names without a join."""
    global _names, _names_loaded_at
    now = time.monotonic()
    if now - _names_loaded_at > REGION_NAMES_TTL:
        _names = dict(Region.objects.values_list("code", "name"))
        _names_loaded_at = now
    return _names


def clear_region_names() -> None:
    global _names_loaded_at
    _names_loaded_at = float("-inf")


def get_region(code: str) -> Region:
    """The region with this code, in force or retired; ``NotFound`` if there is none."""
    region = Region.objects.select_related("parent").filter(code=(code or "").strip()).first()
    if region is None:
        raise NotFound("行政区划不存在", fields={"code": [f"区划代码：{code} 不存在"]})
    return region


def region_exists(code: str, *, on: dt.date | None = None) -> bool:
    """Whether ``code`` is in the table (and, given ``on``, in force on that date)."""
    qs = Region.objects.filter(code=(code or "").strip())
    return (qs.in_force_on(on) if on else qs).exists()


def districts_of(city_code: str = DEMO_CITY_CODE, *, on: dt.date | None = None) -> RegionQuerySet:
    """The county-level regions directly under ``city_code`` in force on ``on`` (default today)."""
    return Region.objects.filter(parent_id=city_code).in_force_on(on or timezone.localdate()).order_by("code")


def region_choices_for_city(
    city_code: str = DEMO_CITY_CODE, *, include_city: bool = True, on: dt.date | None = None
) -> list[tuple[str, str]]:
    """``(code, name)`` pairs for a form select: the city itself (市本级) first, then its districts."""
    choices = [(r.code, r.name) for r in districts_of(city_code, on=on)]
    if include_city:
        city = Region.objects.filter(code=city_code).first()
        if city is not None:
            choices.insert(0, (city.code, city.name))
    return choices
