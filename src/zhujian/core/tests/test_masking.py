from __future__ import annotations

import pytest

from zhujian.core.masking import mask_id_number, mask_name, mask_phone


def test_mask_id_number() -> None:
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number(" 110101199003071234 ") == "110***********1234"


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("025-83123456") == "025*****3456"


def test_mask_name() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name(" 李四 ") == "李*"


@pytest.mark.parametrize(
    ("mask", "value"),
    [
        (mask, value)
        for mask in (mask_id_number, mask_phone, mask_name)
        for value in (None, "", " ", "1", "张")
    ]
    + [(mask_id_number, "1234567"), (mask_phone, "1234567")],
)
def test_short_input_never_shown(mask, value) -> None:  # type: ignore[no-untyped-def]
    masked = mask(value)
    assert set(masked) <= {"*"}
    assert len(masked) == len((value or "").strip())
