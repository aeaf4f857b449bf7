"""Template filters for figures people read in a particular unit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def wan(value: Any) -> str:
    """元 → 万元 with two decimals ("—" for none), as bureau staff read money."""
    if value in (None, ""):
        return "—"
    try:
        return f"{(Decimal(value) / Decimal(10000)).quantize(Decimal('0.01')):,}"
    except (InvalidOperation, ValueError, TypeError):
        return "—"
