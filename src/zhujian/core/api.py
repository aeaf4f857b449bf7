"""Shared pieces of the JSON API: pagination, the error shape, Chinese validation messages."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

MAX_PAGE_SIZE = 200


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


class PageParams(Schema):
    page: int = Field(1, ge=1, le=100_000, description="页码，从 1 开始")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="每页条数，最多 200")


class PageResult(NamedTuple):
    rows: list[Any]
    total: int
    total_capped: bool = False


def page_slice(
    queryset: QuerySet[Any],
    params: PageParams,
    *,
    count_queryset: QuerySet[Any] | None = None,
    count_cap: int | None = None,
) -> PageResult:
    """The rows of the requested page and the total count.

    The page is read first: when it is neither full nor empty, or it is an empty first page, it is
    the last page and the total follows from it, so the ``COUNT(*)`` (often the dearer query) is
    skipped. ``count_queryset`` counts the same rows more cheaply (e.g. without the joins that only
    feed the page's columns). With ``count_cap`` the count stops at the cap and says so: a keyword
    matching thousands of rows would otherwise cost a visit to every one of them
    (docs/decisions/0009-list-performance.md).
    """
    start = (params.page - 1) * params.page_size
    rows = list(queryset[start : start + params.page_size])
    if 0 < len(rows) < params.page_size or (not rows and start == 0):
        return PageResult(rows, start + len(rows))
    counted = queryset if count_queryset is None else count_queryset
    if count_cap is None:
        return PageResult(rows, counted.count())
    count = counted[: count_cap + 1].count()
    return PageResult(rows, min(count, count_cap), count > count_cap)


_MESSAGES = {
    "missing": "必填",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_type": "必须是文本",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "float_parsing": "必须是数字",
    "float_type": "必须是数字",
    "decimal_parsing": "必须是数字",
    "decimal_type": "必须是数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "必须大于 {gt}",
    "less_than": "必须小于 {lt}",
    "extra_forbidden": "不允许提交该字段",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "model_attributes_type": "必须是对象",
    "json_invalid": "不是有效的 JSON",
}
_SOURCES = {"body", "query", "path", "form", "header", "cookie", "file"}


def chinese_message(error: dict[str, Any]) -> str:
    template = _MESSAGES.get(str(error.get("type")), "输入无效")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] == "payload":  # every body parameter is named ``payload`` by convention
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "__all__"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(field_path(error.get("loc", ())), []).append(chinese_message(error))
    return fields
