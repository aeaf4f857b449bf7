"""Validation of the identifier codes the platform takes in (see reference/codes.md).

Each ``validate_*`` returns the normalised code or raises :class:`ValidationError` with a Chinese
message that tells the user what to fix (the first bad position, the length, the check character).
Region codes inside the codes are checked only down to the province: divisions change and real
codes keep long-retired county codes, so the full region is a higher layer's concern.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from zhujian.core.errors import ValidationError

__all__ = [
    "PROVINCE_CODES",
    "id_check_char",
    "id_number_birth_date",
    "id_number_is_male",
    "normalise_code",
    "project_code_region",
    "uscc_check_char",
    "validate_id_number",
    "validate_project_code",
    "validate_uscc",
]

_SHANGHAI = ZoneInfo("Asia/Shanghai")

# GB/T 2260 province-level divisions, incl. 71 台湾, 81 香港, 82 澳门.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
        "21", "22", "23",  # 辽宁 吉林 黑龙江
        "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
        "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
        "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
        "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
        "71", "81", "82",  # 台湾 香港 澳门
    }
)  # fmt: skip

# Central-level bodies (国务院各部门, 全国性社会团体…) register with region 100000, so "10" is a
# legal province part inside a USCC although it is not a province.
_USCC_REGION_PREFIXES: frozenset[str] = PROVINCE_CODES | {"10"}

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I O Z S V
_USCC_VALUES = {ch: i for i, ch in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 …

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "0123456789X"
# Nobody born before this holds a second-generation ID card; earlier dates are typos.
_ID_EARLIEST_BIRTH = date(1900, 1, 1)

_PROJECT_CODE_LEN = 24
_PROJECT_HYPHENS = frozenset({5, 12, 15, 18})  # 1-based positions in YYYY-AAAAAA-II-TT-NNNNNN
_PROJECT_EXAMPLE = "2105-320106-04-01-123456"
# The YYMM form started in November 2020; the YYYY form ran until then (some provincial
# platforms lagged into 2021).
_PROJECT_NEW_FORM_START = (2020, 11)
_PROJECT_OLD_FORM_YEARS = range(2000, 2022)

# Dashes people paste from Word or IMEs; project codes only ever use ASCII hyphens.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣－", "-"))
_WHITESPACE = re.compile(r"\s+")


def normalise_code(value: str) -> str:
    """Full-width to half-width (NFKC), drop all whitespace, upper-case.

    Chinese IMEs often produce full-width digits and letters, and codes are pasted with spaces.
    """
    value = unicodedata.normalize("NFKC", value or "")
    return _WHITESPACE.sub("", value).upper()


def _today() -> date:
    # Dates in codes are local (Beijing) dates.
    return datetime.now(_SHANGHAI).date()


# ---------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC whose first 17 characters are ``first17``."""
    first17 = normalise_code(first17)
    if len(first17) != 17 or any(ch not in _USCC_VALUES for ch in first17):
        raise ValueError("first17 must be 17 characters of the USCC alphabet")
    total = sum(_USCC_VALUES[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    code = normalise_code(value)
    if not code:
        raise ValidationError("请填写统一社会信用代码", code="invalid_uscc")
    if len(code) != 18:
        raise ValidationError(f"统一社会信用代码应为18位，当前为{len(code)}位", code="invalid_uscc")
    for pos, ch in enumerate(code, start=1):
        if 3 <= pos <= 8:
            if not ("0" <= ch <= "9"):
                raise ValidationError(
                    f"统一社会信用代码第{pos}位“{ch}”不合法：第3–8位（登记管理机关行政区划码）应为数字",
                    code="invalid_uscc",
                )
        elif ch not in _USCC_VALUES:
            raise ValidationError(
                f"统一社会信用代码第{pos}位“{ch}”不合法：应为数字或大写字母（不使用I、O、Z、S、V）",
                code="invalid_uscc",
            )
    if code[2:4] not in _USCC_REGION_PREFIXES:
        raise ValidationError(
            f"统一社会信用代码第3–4位“{code[2:4]}”不是有效的省级行政区划代码", code="invalid_uscc"
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError("统一社会信用代码校验位（第18位）不正确，请核对后重新输入", code="invalid_uscc")
    return code


# ---------------------------------------------------------------------------------------------
# 居民身份证号码 (GB 11643-1999)


def id_check_char(first17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are ``first17``."""
    first17 = normalise_code(first17)
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("first17 must be 17 digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[(12 - total % 11) % 11]


def _parse_birth_date(code: str) -> date | None:
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Validate an 18-character citizen ID number; ``today`` is for tests."""
    code = normalise_code(value)
    if not code:
        raise ValidationError("请填写身份证号码", code="invalid_id_number")
    if len(code) != 18:
        # 15-digit first-generation numbers are out of use; ask for the current one.
        raise ValidationError(f"身份证号码应为18位，当前为{len(code)}位", code="invalid_id_number")
    for pos, ch in enumerate(code, start=1):
        if pos <= 17 and not ("0" <= ch <= "9"):
            raise ValidationError(f"身份证号码第{pos}位“{ch}”不合法：应为数字", code="invalid_id_number")
        if pos == 18 and ch not in _ID_CHECK:
            raise ValidationError(f"身份证号码第18位“{ch}”不合法：应为数字或字母X", code="invalid_id_number")
    if code[:2] not in PROVINCE_CODES:
        raise ValidationError(
            f"身份证号码前两位“{code[:2]}”不是有效的省级行政区划代码", code="invalid_id_number"
        )
    birth = _parse_birth_date(code)
    if birth is None:
        raise ValidationError(f"身份证号码中的出生日期“{code[6:14]}”不是有效日期", code="invalid_id_number")
    if birth > (today or _today()):
        raise ValidationError(f"身份证号码中的出生日期“{code[6:14]}”晚于今天", code="invalid_id_number")
    if birth < _ID_EARLIEST_BIRTH:
        raise ValidationError(
            f"身份证号码中的出生日期“{code[6:14]}”早于1900年，不合理", code="invalid_id_number"
        )
    if id_check_char(code[:17]) != code[17]:
        raise ValidationError("身份证号码校验位（第18位）不正确，请核对后重新输入", code="invalid_id_number")
    return code


def id_number_birth_date(value: str) -> date:
    code = validate_id_number(value)
    birth = _parse_birth_date(code)
    assert birth is not None  # validate_id_number checked it
    return birth


def id_number_is_male(value: str) -> bool:
    # The 17th digit (end of the sequence number) is odd for men, even for women.
    return int(validate_id_number(value)[16]) % 2 == 1


# ---------------------------------------------------------------------------------------------
# 项目代码 (投资项目统一代码)


def _project_date_plausible(head: str, today: date) -> bool:
    """``head`` is the first four digits: YYMM (current form) or YYYY (older form).

    Some values read both ways (2011 = Nov 2020 or the year 2011); either reading will do.
    """
    year_month = (2000 + int(head[:2]), int(head[2:]))
    if 1 <= year_month[1] <= 12 and _PROJECT_NEW_FORM_START <= year_month <= (today.year, today.month):
        return True
    return int(head) in _PROJECT_OLD_FORM_YEARS and int(head) <= today.year


def validate_project_code(value: str, *, today: date | None = None) -> str:
    """Shape and date of a 项目代码 in either form.

    The region (positions 6–11) is not checked against the division table here: an unknown one
    is accepted with a warning by the caller (see :func:`project_code_region`). The last six
    characters carry a check whose algorithm is not public, so none is computed.
    """
    code = normalise_code((value or "").translate(_DASHES))
    if not code:
        raise ValidationError("请填写项目代码", code="invalid_project_code")
    if len(code) != _PROJECT_CODE_LEN:
        raise ValidationError(
            f"项目代码应为24位（含连字符，如 {_PROJECT_EXAMPLE}），当前为{len(code)}位",
            code="invalid_project_code",
        )
    for pos, ch in enumerate(code, start=1):
        if pos in _PROJECT_HYPHENS:
            if ch != "-":
                raise ValidationError(
                    f"项目代码第{pos}位“{ch}”不合法：应为连字符“-”（格式如 {_PROJECT_EXAMPLE}）",
                    code="invalid_project_code",
                )
        elif not ("0" <= ch <= "9"):
            raise ValidationError(f"项目代码第{pos}位“{ch}”不合法：应为数字", code="invalid_project_code")
    if not _project_date_plausible(code[:4], today or _today()):
        raise ValidationError(
            f"项目代码前四位“{code[:4]}”既不是有效的赋码年月（如2105表示2021年5月），"
            "也不是有效的年份（2020年11月前的旧版代码，如2019）",
            code="invalid_project_code",
        )
    return code


def project_code_region(code: str) -> str:
    """The 6-digit GB/T 2260 region of a project code, for the caller to look up and warn on."""
    return validate_project_code(code)[5:11]
