from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhujian.core.codes import (
    PROVINCE_CODES,
    id_check_char,
    id_number_birth_date,
    id_number_is_male,
    project_code_region,
    uscc_check_char,
    validate_id_number,
    validate_project_code,
    validate_uscc,
)
from zhujian.core.errors import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIGITS = "0123456789"
TODAY = date(2026, 11, 26)

# ---------------------------------------------------------------------------------------------
# 统一社会信用代码, vectors computed by hand: value × weight (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10
# 30 28), sum mod 31, check = alphabet[(31 − r) mod 31].

USCC_VECTORS = [
    # Real-world code (福州): 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640, 1640 mod 31 = 28,
    # 31 − 28 = 3 → "3".
    "91350100M000100Y43",
    # Letters in positions 1–2 (Y = 30, 1): 30+3+27+54+0+26+0+102+420+290+25+286+136+432+190+600+0
    # = 2621, mod 31 = 17, 31 − 17 = 14 → "E".
    "Y1320106MA1NHJKL0E",
    # Central-level body (region 100000): 5+9+9+0+0+0+0+0+100+0+0+0+8+216+30+90+196 = 663,
    # mod 31 = 12, 31 − 12 = 19 → "K".
    "53100000500019337K",
    # Sum ≡ 0: 9+3+27+54+0+26+0+102+0+174+575+312+200+0+0+30+224 = 1736 = 56 × 31, 31 → "0".
    "9132010606PQR00180",
]


@pytest.mark.parametrize("code", USCC_VECTORS)
def test_uscc_valid_vectors(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


def test_uscc_normalises_case_and_spaces() -> None:
    assert validate_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_uscc("9135 0100 M000 100Y 43") == "91350100M000100Y43"
    # Full-width characters from a Chinese IME.
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写"),
        ("91350100M000100Y4", "应为18位，当前为17位"),
        ("91350100M000100Y433", "当前为19位"),
        ("O1350100M000100Y43", "第1位“O”不合法"),
        ("9135A100M000100Y43", "第5位“A”不合法：第3–8位"),
        ("91350100I000100Y43", "第9位“I”不合法"),
        ("91350100M000100Y4-", "第18位“-”不合法"),
        ("91000100M000100Y43", "第3–4位“00”不是有效的省级行政区划代码"),
        ("91350100M000100Y44", "校验位（第18位）不正确"),
    ],
)
def test_uscc_errors(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_uscc(value)
    assert info.value.code == "invalid_uscc"
    assert fragment in info.value.message


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    head = draw(st.text(USCC_ALPHABET, min_size=2, max_size=2))
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest_region = draw(st.text(DIGITS, min_size=4, max_size=4))
    org = draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    first17 = head + province + rest_region + org
    return first17 + uscc_check_char(first17)


@given(valid_usccs(), st.data())
def test_uscc_any_single_change_is_detected(code: str, data: st.DataObject) -> None:
    assert validate_uscc(code) == code
    pos = data.draw(st.integers(0, 17))
    allowed = DIGITS if 2 <= pos <= 7 else USCC_ALPHABET
    replacement = data.draw(st.sampled_from([c for c in allowed if c != code[pos]]))
    with pytest.raises(ValidationError):
        validate_uscc(code[:pos] + replacement + code[pos + 1 :])


@given(valid_usccs())
def test_uscc_lower_case_accepted(code: str) -> None:
    assert validate_uscc(code.lower()) == code


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("91350100M000100Y")
    with pytest.raises(ValueError):
        uscc_check_char("91350100M000100YI")


# ---------------------------------------------------------------------------------------------
# 居民身份证号码, by hand: digit × weight (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), sum mod 11 = r,
# check = (12 − r) mod 11, 10 → X.

ID_VECTORS = [
    # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167, mod 11 = 2, 12 − 2 = 10 → "X".
    "11010519491231002X",
    # 21+18+0+5+0+24+2+9+54+0+0+27+0+35+8+8+6 = 217, mod 11 = 8, 12 − 8 = 4 → "4" (male: 3 is odd).
    "320106199003071234",
    # As above with 17th digit 4: 219, mod 11 = 10, 12 − 10 = 2 → "2" (female).
    "320106199003071242",
]


@pytest.mark.parametrize("code", ID_VECTORS)
def test_id_valid_vectors(code: str) -> None:
    assert validate_id_number(code) == code
    assert id_check_char(code[:17]) == code[17]


def test_id_birth_date_and_sex() -> None:
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_number_is_male("320106199003071234") is True
    assert id_number_is_male("320106199003071242") is False
    assert id_number_is_male("11010519491231002X") is False  # 17th digit 2


def test_id_lower_case_x_normalised() -> None:
    assert validate_id_number(" 11010519491231002x") == "11010519491231002X"


def test_id_old_retired_region_accepted() -> None:
    # 440524 (former 潮阳县) is long retired but still in valid ID numbers: only the province counts.
    first17 = "44052419650101001"
    assert validate_id_number(first17 + id_check_char(first17))


def _with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写"),
        ("110105491231002", "应为18位，当前为15位"),
        ("1101051949123100XX", "第17位“X”不合法：应为数字"),
        ("11010519491231002Y", "第18位“Y”不合法"),
        (_with_check("99010519491231002"), "前两位“99”不是有效的省级行政区划代码"),
        (_with_check("11010519490230002"), "出生日期“19490230”不是有效日期"),
        (_with_check("11010519491331002"), "不是有效日期"),
        (_with_check("11010520261127002"), "晚于今天"),
        (_with_check("11010518991231002"), "早于1900年"),
        ("110105194912310021", "校验位（第18位）不正确"),
    ],
)
def test_id_errors(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_id_number(value, today=TODAY)
    assert info.value.code == "invalid_id_number"
    assert fragment in info.value.message


def test_id_born_today_is_fine() -> None:
    code = _with_check("11010520261126002")
    assert validate_id_number(code, today=TODAY) == code


@st.composite
def valid_id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    region = draw(st.text(DIGITS, min_size=4, max_size=4))
    birth = draw(st.dates(date(1900, 1, 1), date(2025, 12, 31)))
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    return _with_check(province + region + birth.strftime("%Y%m%d") + seq)


@given(valid_id_numbers(), st.data())
def test_id_any_single_change_is_detected(code: str, data: st.DataObject) -> None:
    assert validate_id_number(code, today=TODAY) == code
    pos = data.draw(st.integers(0, 17))
    allowed = DIGITS + "X" if pos == 17 else DIGITS
    replacement = data.draw(st.sampled_from([c for c in allowed if c != code[pos]]))
    with pytest.raises(ValidationError):
        validate_id_number(code[:pos] + replacement + code[pos + 1 :], today=TODAY)


# ---------------------------------------------------------------------------------------------
# 项目代码 (no public check algorithm: examples only)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2105-320106-04-01-123456", "2105-320106-04-01-123456"),  # current form, May 2021
        ("2011-320115-04-01-000001", "2011-320115-04-01-000001"),  # Nov 2020 (or the year 2011)
        ("2611-320106-04-01-123456", "2611-320106-04-01-123456"),  # this month
        ("2018-320115-70-03-012345", "2018-320115-70-03-012345"),  # older form, year 2018
        ("2016-320102-47-02-654321", "2016-320102-47-02-654321"),  # 16 is no month: year 2016
        (" 2105—320106–04－01-123456 ", "2105-320106-04-01-123456"),  # pasted dashes, spaces
        ("２１０５-３２０１０６-０４-０１-１２３４５６", "2105-320106-04-01-123456"),  # full-width
    ],
)
def test_project_code_valid(value: str, expected: str) -> None:
    assert validate_project_code(value, today=TODAY) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写"),
        ("2105-320106-04-01-12345", "应为24位"),
        ("210532010604011234567890", "第5位“3”不合法：应为连字符"),
        ("2105-32A106-04-01-123456", "第8位“A”不合法：应为数字"),
        ("2105-320106-04-01-12345X", "第24位“X”不合法"),
        ("2113-320106-04-01-123456", "前四位“2113”"),  # month 13, year 2113
        ("2612-320106-04-01-123456", "前四位“2612”"),  # next month
        ("1999-320106-04-01-123456", "前四位“1999”"),  # before the platform
        ("2010-320106-04-01-12345a", "第24位“A”"),  # upper-cased before reporting
    ],
)
def test_project_code_errors(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_project_code(value, today=TODAY)
    assert info.value.code == "invalid_project_code"
    assert fragment in info.value.message


def test_project_code_region() -> None:
    assert project_code_region("2105-320106-04-01-123456") == "320106"
    # Unknown regions are not this layer's business: shape only.
    assert project_code_region("2105-999999-04-01-123456") == "999999"


def test_province_codes() -> None:
    assert {"11", "32", "65", "71", "81", "82"} <= PROVINCE_CODES
    assert len(PROVINCE_CODES) == 34
    assert "10" not in PROVINCE_CODES
