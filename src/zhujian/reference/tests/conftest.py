from __future__ import annotations

from collections.abc import Iterator

import pytest

from zhujian.reference import workdays


@pytest.fixture(autouse=True)
def _fresh_workday_cache() -> Iterator[None]:
    # A rolled-back override would otherwise linger in the per-process cache (see workdays.py).
    workdays.clear_cache()
    yield
    workdays.clear_cache()
