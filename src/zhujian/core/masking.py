"""Masked display of personal data (DESIGN.md, Personal data).

Masking never fails: odd or short input is masked entirely rather than shown, because a crash in a
list view is worse and showing a short value in full would leak it.
"""

from __future__ import annotations

__all__ = ["mask_id_number", "mask_name", "mask_phone"]

MASK = "*"


def _keep_ends(value: str | None, head: int, tail: int) -> str:
    text = "".join((value or "").split())  # drop whitespace people paste in
    if len(text) <= head + tail:
        return MASK * len(text)
    return text[:head] + MASK * (len(text) - head - tail) + text[len(text) - tail :]


def mask_id_number(value: str | None) -> str:
    """``110101199003071234`` → ``110***********1234`` (first 3, last 4)."""
    return _keep_ends(value, 3, 4)


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678`` (first 3, last 4)."""
    return _keep_ends(value, 3, 4)


def mask_name(value: str | None) -> str:
    """``张三丰`` → ``张**``: keep the first character, so a single-character value is all mask."""
    text = (value or "").strip()
    if len(text) <= 1:
        return MASK * len(text)
    return text[0] + MASK * (len(text) - 1)
