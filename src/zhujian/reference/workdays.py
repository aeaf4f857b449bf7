"""The working-day calendar (工作日): legal deadlines count working days (DESIGN.md, Time and money).

Three layers, the later winning:

1. weekends (Saturday and Sunday off) — the fallback for a year nobody has entered;
2. the State Council's statutory holidays and 调休 make-up days, from the ``chinesecalendar``
   package (``chinese_calendar``), which knows a fixed range of years (2004–2026 in 1.11);
3. ``WorkdayOverride`` rows that bureau staff edit (a newly published year, a typhoon day off).

A year that neither the package nor any override covers falls back to weekends, logs a warning
once per process and shows up in ``calendar_gaps`` / ``unknown_years_warning`` so the UI can ask
an administrator to enter it. Nothing here raises for an unknown year.

Performance: these functions run for every row of inbox lists, so each year is computed once
into a flag array with prefix sums; ``is_workday`` is an index, ``workdays_between`` a subtraction
per year and ``add_workdays`` a bisection per year. Overrides for all years being built are read
in one query.

Cache invalidation: the cache is per process. The override services call ``clear_cache()`` (in
the writing process, immediately). Other processes (gunicorn workers, the job worker) notice an
edit through a stamp — ``(count, max(updated_at))`` of the override table — which is re-read at
most every ``STAMP_CHECK_SECONDS``; count catches deletions, max(updated_at) additions and edits.
So another process is at most a few seconds stale, for the price of one tiny query per interval.
A rolled-back transaction does not call ``clear_cache()``: tests that write overrides should clear
the cache around each test (an autouse fixture), or the next test may see the rolled-back row
for up to ``STAMP_CHECK_SECONDS``.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate

import chinese_calendar
from django.db.models import Count, Max
from django.utils import timezone

logger = logging.getLogger(__name__)

STAMP_CHECK_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Year:
    year: int
    first_ordinal: int
    flags: bytes  # 1 = working day, indexed by day of year (0-based)
    cum: tuple[int, ...]  # cum[i] = working days among days 0..i of the year
    work_ordinals: tuple[int, ...]  # the working days' proper ordinals, ascending
    statutory: bool  # chinesecalendar knows this year
    overridden: bool  # at least one WorkdayOverride row falls in this year

    @property
    def total(self) -> int:
        return self.cum[-1] if self.cum else 0

    def count_through(self, d: dt.date) -> int:
        """Working days from 1 January to d inclusive."""
        return self.cum[d.toordinal() - self.first_ordinal]

    @property
    def known(self) -> bool:
        return self.statutory or self.overridden


@dataclass
class _Cache:
    years: dict[int, _Year] = field(default_factory=dict)
    stamp: tuple[int, object] | None = None
    checked_at: float = float("-inf")  # monotonic() may be small on a fresh machine


_cache = _Cache()
_lock = threading.RLock()
_warned_years: set[int] = set()


def clear_cache() -> None:
    """Forget every computed year (the override services call this after each write)."""
    global _cache
    with _lock:
        _cache = _Cache()


def _statutory_flags(year: int, first: dt.date, days: int) -> tuple[bytearray, bool]:
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        # Saturday and Sunday off; weekday() is 5/6 for them.
        return bytearray(1 if (first + dt.timedelta(i)).weekday() < 5 else 0 for i in range(days)), False
    # Once a year per process; 365 cheap dict look-ups inside the package.
    return bytearray(int(chinese_calendar.is_workday(first + dt.timedelta(i))) for i in range(days)), True


def _build_years(years: Iterable[int]) -> dict[int, _Year]:
    from zhujian.reference.models import WorkdayOverride  # the calendar is importable before apps load

    wanted = sorted(set(years))
    span = (dt.date(wanted[0], 1, 1), dt.date(wanted[-1], 12, 31))
    overrides: dict[dt.date, bool] = dict(
        WorkdayOverride.objects.filter(date__range=span).values_list("date", "is_workday")
    )
    built: dict[int, _Year] = {}
    for year in wanted:
        first = dt.date(year, 1, 1)
        days = 366 if calendar.isleap(year) else 365
        flags, statutory = _statutory_flags(year, first, days)
        overridden = False
        for day, is_work in overrides.items():
            if day.year == year:
                flags[day.timetuple().tm_yday - 1] = int(is_work)
                overridden = True
        base = first.toordinal()
        built[year] = _Year(
            year=year,
            first_ordinal=base,
            flags=bytes(flags),
            cum=tuple(accumulate(flags)),
            work_ordinals=tuple(base + i for i, f in enumerate(flags) if f),
            statutory=statutory,
            overridden=overridden,
        )
        if not built[year].known and year not in _warned_years:
            _warned_years.add(year)
            logger.warning(
                "No statutory holiday data for %s (chinesecalendar and WorkdayOverride): "
                "counting weekends only",
                year,
            )
    return built


def _current_stamp() -> tuple[int, object]:
    from zhujian.reference.models import WorkdayOverride

    agg = WorkdayOverride.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    return agg["n"], agg["latest"]


def _years(first: int, last: int) -> dict[int, _Year]:
    """The cached years first..last, building what is missing (one override query)."""
    global _cache
    cache = _cache
    now = time.monotonic()
    if now - cache.checked_at > STAMP_CHECK_SECONDS:
        stamp = _current_stamp()
        with _lock:
            if _cache is cache and cache.stamp is not None and cache.stamp != stamp:
                _cache = cache = _Cache()  # another process changed an override
            cache.stamp = stamp
            cache.checked_at = now
    missing = [y for y in range(first, last + 1) if y not in cache.years]
    if missing:
        built = _build_years(missing)
        with _lock:
            cache.years.update(built)
    return cache.years


def _as_date(d: dt.date) -> dt.date:
    # An aware datetime is a moment: the working day is the bureau's local date.
    if isinstance(d, dt.datetime):
        return timezone.localtime(d).date() if timezone.is_aware(d) else d.date()
    return d


def is_workday(d: dt.date) -> bool:
    d = _as_date(d)
    y = _years(d.year, d.year)[d.year]
    return bool(y.flags[d.toordinal() - y.first_ordinal])


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The N-th working day after ``start`` (``start`` itself not counted); n=0 gives ``start``.

    Example: from Friday 2026-09-18, n=1 is Sunday 2026-09-20, a 调休 make-up working day.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    start = _as_date(start)
    if n == 0:
        return start
    year = start.year
    remaining = n
    after = start.toordinal()  # working days strictly after this ordinal count
    while True:
        # Years are fetched a few at a time so that long spans cost few override queries.
        cached = _years(year, year + max(0, remaining // 240))
        y = cached[year]
        idx = bisect.bisect_right(y.work_ordinals, after)
        available = len(y.work_ordinals) - idx
        if remaining <= available:
            return dt.date.fromordinal(y.work_ordinals[idx + remaining - 1])
        remaining -= available
        year += 1
        after = dt.date(year, 1, 1).toordinal() - 1


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: ``start`` not counted, ``end`` counted; 0 if end <= start."""
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        return 0
    cached = _years(start.year, end.year)
    if start.year == end.year:
        y = cached[start.year]
        return y.count_through(end) - y.count_through(start)
    total = cached[start.year].total - cached[start.year].count_through(start)
    total += sum(cached[yr].total for yr in range(start.year + 1, end.year))
    return total + cached[end.year].count_through(end)


def next_workday(d: dt.date) -> dt.date:
    """The first working day strictly after ``d``."""
    return add_workdays(d, 1)


def statutory_is_workday(d: dt.date) -> bool | None:
    """What chinesecalendar alone says about ``d`` (no overrides); None for a year it does not know."""
    try:
        return bool(chinese_calendar.is_workday(_as_date(d)))
    except NotImplementedError:
        return None


def calendar_gaps(years: Iterable[int]) -> list[int]:
    """The years among ``years`` with neither statutory data nor any staff override (ascending)."""
    wanted = sorted(set(years))
    if not wanted:
        return []
    cached = _years(wanted[0], wanted[-1])
    return [yr for yr in wanted if not cached[yr].known]


def unknown_years_warning(years: Iterable[int] | None = None) -> str | None:
    """A message for administrators if a relevant year has no holiday schedule, else None.

    By default this year and next: deadlines computed today run into next year.
    """
    if years is None:
        this_year = timezone.localdate().year
        years = (this_year, this_year + 1)
    gaps = calendar_gaps(years)
    if not gaps:
        return None
    listed = "、".join(f"{yr}年" for yr in gaps)
    return f"{listed}的法定节假日安排尚未录入，当前按周末计算工作日，请在『工作日历』中补录"
