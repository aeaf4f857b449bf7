from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhujian.audit.models import AuditEvent
from zhujian.reference import services, workdays
from zhujian.reference.models import WorkdayOverride

D = dt.date
pytestmark = pytest.mark.django_db


def test_package_schedule_for_autumn_2026_is_what_we_expect() -> None:
    # 2026 中秋 Fri 25 Sept (25–27 off), 国庆 1–7 Oct; make-up working days Sun 20 Sept and Sat 10 Oct.
    off = [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27), *(D(2026, 10, d) for d in range(1, 8))]
    assert not any(workdays.is_workday(d) for d in off)
    assert workdays.is_workday(D(2026, 9, 20)) and D(2026, 9, 20).weekday() == 6
    assert workdays.is_workday(D(2026, 10, 10)) and D(2026, 10, 10).weekday() == 5
    assert not workdays.is_workday(D(2026, 9, 19))  # an ordinary Saturday
    assert not workdays.is_workday(D(2026, 10, 11))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, D(2026, 9, 18)),
        (1, D(2026, 9, 20)),  # Sunday make-up day
        (5, D(2026, 9, 24)),
        (6, D(2026, 9, 28)),  # across 中秋
        (8, D(2026, 9, 30)),
        (9, D(2026, 10, 8)),  # across 国庆
        (11, D(2026, 10, 10)),  # Saturday make-up day
        (12, D(2026, 10, 12)),
    ],
)
def test_add_workdays_across_mid_autumn_and_national_day(n: int, expected: dt.date) -> None:
    assert workdays.add_workdays(D(2026, 9, 18), n) == expected


def test_workdays_between_and_next_workday() -> None:
    assert workdays.workdays_between(D(2026, 9, 18), D(2026, 10, 12)) == 12
    assert workdays.workdays_between(D(2026, 9, 24), D(2026, 10, 8)) == 4  # 28, 29, 30 Sept, 8 Oct
    assert workdays.workdays_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    assert workdays.workdays_between(D(2026, 10, 8), D(2026, 10, 8)) == 0
    assert workdays.workdays_between(D(2026, 10, 8), D(2026, 9, 1)) == 0
    assert workdays.next_workday(D(2026, 9, 30)) == D(2026, 10, 8)
    assert workdays.next_workday(D(2026, 9, 19)) == D(2026, 9, 20)
    assert workdays.next_workday(D(2026, 9, 18)) == D(2026, 9, 20)


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError):
        workdays.add_workdays(D(2026, 9, 18), -1)


def test_aware_datetime_counts_as_the_local_date() -> None:
    # 17:00 UTC on 30 Sept is 01:00 on 1 Oct in Asia/Shanghai: a holiday.
    moment = dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.UTC)
    assert workdays.is_workday(moment) is False


def test_span_across_years() -> None:
    # 2024-12-31 (Tue) → 2025-01-02: 1 Jan 2025 is a holiday, so one working day.
    assert workdays.workdays_between(D(2024, 12, 31), D(2025, 1, 2)) == 1
    assert workdays.add_workdays(D(2024, 12, 31), 1) == D(2025, 1, 2)
    start = D(2020, 3, 2)
    end = workdays.add_workdays(start, 1500)
    assert workdays.workdays_between(start, end) == 1500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=D(2005, 1, 1), max_value=D(2024, 12, 31)), n=st.integers(0, 400))
def test_matches_day_by_day_chinesecalendar(start: dt.date, n: int) -> None:
    # The precomputed arrays must agree with the naive loop over the package.
    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            left -= 1
    assert workdays.add_workdays(start, n) == day
    assert workdays.workdays_between(start, day) == n
    if n:
        assert workdays.workdays_between(start, day - dt.timedelta(days=1)) == n - 1


def test_override_changes_results_and_cache_is_invalidated() -> None:
    start = D(2026, 9, 18)
    assert workdays.add_workdays(start, 2) == D(2026, 9, 21)  # computed and cached first
    first = services.set_workday_override(
        day=D(2026, 9, 21), is_workday=False, note="台风停工（测试）", user=None
    )
    assert workdays.is_workday(D(2026, 9, 21)) is False
    assert workdays.add_workdays(start, 2) == D(2026, 9, 22)
    assert workdays.workdays_between(start, D(2026, 10, 12)) == 11

    # Flip the same day back to a working day, then make an ordinary Saturday a working day.
    services.set_workday_override(day=D(2026, 9, 21), is_workday=True, note="恢复", user=None)
    assert WorkdayOverride.objects.count() == 1
    assert workdays.add_workdays(start, 2) == D(2026, 9, 21)
    services.set_workday_override(day=D(2026, 9, 19), is_workday=True, note="补班（测试）", user=None)
    assert workdays.next_workday(start) == D(2026, 9, 19)

    services.delete_workday_override(day=D(2026, 9, 19), user=None)
    services.delete_workday_override(day=D(2026, 9, 21), user=None)
    events = AuditEvent.objects.filter(action__startswith="reference.")
    actions = list(events.values_list("action", "object_id"))
    assert actions.count(("reference.workday_override.set", str(first.pk))) == 2
    assert len([a for a, _ in actions if a == "reference.workday_override.delete"]) == 2
    assert workdays.add_workdays(start, 2) == D(2026, 9, 21)
    assert workdays.next_workday(start) == D(2026, 9, 20)


def test_other_process_edits_are_seen_after_the_stamp_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdays, "STAMP_CHECK_SECONDS", 3600.0)
    assert workdays.is_workday(D(2026, 9, 22)) is True
    # Another process's write: the row changes but this process's cache is not cleared.
    WorkdayOverride.objects.create(date=D(2026, 9, 22), is_workday=False, note="其他进程")
    assert workdays.is_workday(D(2026, 9, 22)) is True  # still cached within the interval
    monkeypatch.setattr(workdays, "STAMP_CHECK_SECONDS", 0.0)
    assert workdays.is_workday(D(2026, 9, 22)) is False


def test_override_validation_names_the_field() -> None:
    from zhujian.core.errors import NotFound, ValidationError

    with pytest.raises(ValidationError) as exc:
        services.set_workday_override(day=D(2026, 9, 21), is_workday=False, note="  ", user=None)
    assert "note" in exc.value.fields
    with pytest.raises(NotFound):
        services.delete_workday_override(day=D(2026, 9, 21), user=None)


def test_unknown_year_falls_back_to_weekends_and_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2030, 1, 1))  # the premise: the package does not know 2030
    monkeypatch.setattr(workdays, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="zhujian.reference.workdays")

    assert workdays.is_workday(D(2030, 1, 1)) is True  # a Tuesday; the real holiday is unknown
    assert workdays.is_workday(D(2030, 1, 5)) is False  # Saturday
    assert workdays.add_workdays(D(2030, 1, 4), 1) == D(2030, 1, 7)  # Fri → Mon
    assert workdays.workdays_between(D(2030, 1, 4), D(2030, 1, 14)) == 6
    workdays.clear_cache()
    assert workdays.next_workday(D(2030, 1, 4)) == D(2030, 1, 7)

    warnings = [r for r in caplog.records if "2030" in r.getMessage()]
    assert len(warnings) == 1  # once per year per process, even after a cache clear

    assert workdays.calendar_gaps([2026, 2030, 2030]) == [2030]
    message = workdays.unknown_years_warning([2026, 2030, 2031])
    assert message == "2030年、2031年的法定节假日安排尚未录入，当前按周末计算工作日，请在『工作日历』中补录"
    assert workdays.unknown_years_warning([2025, 2026]) is None


def test_entering_an_unknown_year_closes_the_gap() -> None:
    assert workdays.calendar_gaps([2030]) == [2030]
    services.set_workday_override(day=D(2030, 1, 1), is_workday=False, note="2030年元旦（测试）", user=None)
    assert workdays.calendar_gaps([2030]) == []
    assert workdays.is_workday(D(2030, 1, 1)) is False
    assert workdays.add_workdays(D(2029, 12, 31), 1) == D(2030, 1, 2)


def test_default_warning_looks_at_this_year_and_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdays.timezone, "localdate", lambda: D(2029, 6, 1))
    message = workdays.unknown_years_warning()
    assert message is not None and message.startswith("2029年、2030年")
