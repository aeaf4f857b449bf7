"""Exports of the project and enterprise lists as CSV or Excel (issue 3): scoped like the list
pages (the same filter schema and selectors), for holders of ``registry.export_registry`` only,
one audit record per export with the filters and the row count.

Formula injection: a text cell beginning with = + - @ (or tab / carriage return) would be run as a
formula by Excel or WPS; such cells get a leading single quote, in both formats. Numbers and dates
are written as numbers and dates. The lists hold no 身份证号 or 手机号; a column that did would use
the masked value (``*_masked``), never the cipher or plaintext.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from pydantic import BaseModel

from zhujian.audit import services as audit
from zhujian.core.errors import PermissionDenied, ValidationError
from zhujian.registry import selectors
from zhujian.registry.filters import EnterpriseFilter, ProjectFilter

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WAN = Decimal("10000")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, made inert with a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes
    rows: int


Column = tuple[str, Callable[[Any], Any]]


def _wan(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value / WAN).quantize(Decimal("0.01"))


PROJECT_COLUMNS: list[Column] = [
    ("项目代码", lambda p: p.code),
    ("项目名称", lambda p: p.name),
    ("所在区", lambda p: p.region.name),
    ("工程类别", lambda p: p.get_kind_display()),
    ("建设性质", lambda p: p.get_nature_display()),
    ("阶段", lambda p: p.get_stage_display()),
    ("状态", lambda p: p.get_status_display()),
    ("建设地址", lambda p: p.address),
    ("总投资（万元）", lambda p: _wan(p.investment)),
    ("建筑面积（㎡）", lambda p: p.floor_area),
    ("计划开工", lambda p: p.planned_start),
    ("计划竣工", lambda p: p.planned_completion),
    ("重点项目", lambda p: "是" if p.is_key_project else "否"),
]
ENTERPRISE_COLUMNS: list[Column] = [
    ("统一社会信用代码", lambda e: e.uscc),
    ("企业名称", lambda e: e.name),
    ("企业类型", lambda e: "、".join(e.role_labels)),
    ("法定代表人", lambda e: e.legal_representative),  # public registration data, not masked
    ("注册地址", lambda e: e.address),
    ("注册资本（万元）", lambda e: _wan(e.registered_capital)),
    ("成立日期", lambda e: e.established_on),
]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (Decimal, int, float, date, datetime)):
        return value
    return neutralise(str(value))


def _csv(columns: list[Column], rows: Iterable[Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(title) for title, _ in columns])
    for row in rows:
        writer.writerow(
            [
                value.isoformat() if isinstance(value, date) else value
                for value in (_cell(get(row)) for _, get in columns)
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel and WPS open it as UTF-8


def _xlsx(title: str, columns: list[Column], rows: Iterable[Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([title for title, _ in columns])
    for row in rows:
        # openpyxl would store a string starting with "=" as a formula: _cell quotes it first.
        sheet.append([_cell(get(row)) for _, get in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _export(
    *,
    actor: Any,
    what: str,
    title: str,
    fmt: str,
    filters: BaseModel,
    queryset: Any,
    columns: list[Column],
) -> Export:
    if not actor.has_perm("registry.export_registry"):
        audit.record(
            action=f"registry.{what}.export",
            actor=actor,
            outcome="denied",
            detail={"permission": "registry.export_registry", "format": fmt},
        )
        raise PermissionDenied()
    if fmt not in FORMATS:
        raise ValidationError(fields={"format": ["导出格式只能是 csv 或 xlsx"]})
    rows = list(queryset[: MAX_ROWS + 1])
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"导出超过 {MAX_ROWS} 行，请缩小筛选范围后再导出")
    content = _csv(columns, rows) if fmt == "csv" else _xlsx(title, columns, rows)
    audit.record(
        action=f"registry.{what}.export",
        actor=actor,
        object_type=f"registry.{what}",
        count=len(rows),
        detail={"format": fmt, "filters": filters.model_dump(mode="json", exclude_none=True)},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Export(f"{title}-{stamp}.{fmt}", FORMATS[fmt], content, len(rows))


def export_projects(*, actor: Any, filters: ProjectFilter, fmt: str) -> Export:
    queryset = selectors.projects(actor, filters).select_related("region")
    return _export(
        actor=actor,
        what="project",
        title="项目库",
        fmt=fmt,
        filters=filters,
        queryset=queryset,
        columns=PROJECT_COLUMNS,
    )


def export_enterprises(*, actor: Any, filters: EnterpriseFilter, fmt: str) -> Export:
    return _export(
        actor=actor,
        what="enterprise",
        title="企业库",
        fmt=fmt,
        filters=filters,
        queryset=selectors.enterprises(actor, filters),
        columns=ENTERPRISE_COLUMNS,
    )
