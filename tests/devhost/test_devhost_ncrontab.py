"""NCRONTAB parser: next fire times, field syntax, NCrontab's quirks, and a brute-force oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.devhost.ncrontab import CronSchedule, IntervalSchedule, ScheduleError, parse_schedule


def nexts(expr: str, start: datetime, count: int = 3) -> list[datetime]:
    return parse_schedule(expr).occurrences(start, count)


D = datetime


@pytest.mark.parametrize(
    ("expr", "start", "expected"),
    [
        (
            "0 */5 * * * *",
            D(2024, 1, 1, 0, 3, 7),
            [D(2024, 1, 1, 0, 5), D(2024, 1, 1, 0, 10), D(2024, 1, 1, 0, 15)],
        ),
        (
            "*/15 * * * * *",
            D(2024, 1, 1, 0, 0, 14),
            [D(2024, 1, 1, 0, 0, 15), D(2024, 1, 1, 0, 0, 30), D(2024, 1, 1, 0, 0, 45)],
        ),
        (
            "5/15 * * * * *",
            D(2024, 1, 1),
            [D(2024, 1, 1, 0, 0, 5), D(2024, 1, 1, 0, 0, 20), D(2024, 1, 1, 0, 0, 35)],
        ),
        # 2024-01-05 is a Friday: the next weekday 09:30 is Monday the 8th.
        (
            "0 30 9 * * MON-FRI",
            D(2024, 1, 5, 10, 0),
            [D(2024, 1, 8, 9, 30), D(2024, 1, 9, 9, 30), D(2024, 1, 10, 9, 30)],
        ),
        ("0 0 12 * * SUN", D(2024, 1, 1), [D(2024, 1, 7, 12), D(2024, 1, 14, 12), D(2024, 1, 21, 12)]),
        ("0 0 12 * * 0", D(2024, 1, 1), [D(2024, 1, 7, 12), D(2024, 1, 14, 12), D(2024, 1, 21, 12)]),
        ("0 0 0 1 JAN,JUL *", D(2024, 2, 1), [D(2024, 7, 1), D(2025, 1, 1), D(2025, 7, 1)]),
        ("0 0 0 1 january,July *", D(2024, 2, 1), [D(2024, 7, 1), D(2025, 1, 1), D(2025, 7, 1)]),
        # Day 31 only exists in some months.
        ("0 0 0 31 * *", D(2024, 1, 31, 0, 0, 1), [D(2024, 3, 31), D(2024, 5, 31), D(2024, 7, 31)]),
        ("0 0 0 29 2 *", D(2024, 3, 1), [D(2028, 2, 29), D(2032, 2, 29), D(2036, 2, 29)]),
        ("0 0 8-18/4 * * *", D(2024, 1, 1, 9), [D(2024, 1, 1, 12), D(2024, 1, 1, 16), D(2024, 1, 2, 8)]),
        (
            "0 15,45 * * * *",
            D(2024, 1, 1, 10, 45),
            [D(2024, 1, 1, 11, 15), D(2024, 1, 1, 11, 45), D(2024, 1, 1, 12, 15)],
        ),
        # Year rollover from the last second of a year.
        (
            "59 59 23 31 12 *",
            D(2024, 12, 31, 23, 59, 59),
            [D(2025, 12, 31, 23, 59, 59), D(2026, 12, 31, 23, 59, 59)],
        ),
        # Five fields: no seconds field, fires at second 0.
        ("*/10 * * * *", D(2024, 1, 1, 0, 0, 1), [D(2024, 1, 1, 0, 10), D(2024, 1, 1, 0, 20)]),
        # Leap day rollover inside February.
        ("0 0 0 * 2 *", D(2024, 2, 28, 12), [D(2024, 2, 29), D(2025, 2, 1), D(2025, 2, 2)]),
    ],
)
def test_next_fire_times(expr: str, start: datetime, expected: list[datetime]) -> None:
    assert nexts(expr, start, len(expected)) == expected


def test_day_of_month_and_day_of_week_must_both_match() -> None:
    # NCrontab ANDs the two day fields (Vixie cron would OR them): Friday the 13ths only.
    fridays_13th = nexts("0 0 0 13 * FRI", D(2024, 1, 1), 3)
    assert fridays_13th == [D(2024, 9, 13), D(2024, 12, 13), D(2025, 6, 13)]
    assert all(d.weekday() == 4 for d in fridays_13th)
    # Feb 29 on a Monday: 2044 is the next one after 2024.
    assert nexts("0 0 0 29 FEB MON", D(2024, 1, 1), 1) == [D(2044, 2, 29)]


def test_result_is_strictly_after_the_start_and_ignores_microseconds() -> None:
    every_second = parse_schedule("* * * * * *")
    assert every_second.next_after(D(2024, 1, 1, 0, 0, 14)) == D(2024, 1, 1, 0, 0, 15)
    assert every_second.next_after(D(2024, 1, 1, 0, 0, 14, 999_999)) == D(2024, 1, 1, 0, 0, 15)
    hourly = parse_schedule("0 0 * * * *")
    assert hourly.next_after(D(2024, 1, 1, 5)) == D(2024, 1, 1, 6)


def test_timezone_is_kept() -> None:
    start = datetime(2024, 1, 1, 0, 0, 30, tzinfo=UTC)
    nxt = parse_schedule("0 * * * * *").next_after(start)
    assert nxt == datetime(2024, 1, 1, 0, 1, tzinfo=UTC)
    assert nxt.tzinfo is UTC


def test_names_are_case_insensitive_and_full_names_work() -> None:
    a = parse_schedule("0 0 0 * * mon")
    b = parse_schedule("0 0 0 * * Monday")
    c = parse_schedule("0 0 0 * * 1")
    assert isinstance(a, CronSchedule) and isinstance(b, CronSchedule) and isinstance(c, CronSchedule)
    assert a.weekdays == b.weekdays == c.weekdays == frozenset({1})


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "   ",
        "* * * *",
        "* * * * * * *",
        "60 * * * * *",
        "* 60 * * * *",
        "* * 24 * * *",
        "* * * 0 * *",
        "* * * 32 * *",
        "* * * * 13 *",
        "* * * * 0 *",
        "* * * * * 7",  # NCrontab: Sunday is only 0
        "* * * * * FOO",
        "* * * * * MO",
        "* * * * XYZ *",
        "5-1 * * * * *",
        "*/0 * * * * *",
        "*/x * * * * *",
        "a * * * * *",
        "1,,2 * * * * *",
        "? * * * * *",
        "-1 * * * * *",
        "1- * * * * *",
        "L * * * * *",
    ],
)
def test_invalid_expressions_are_refused(expr: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expr)


def test_schedule_that_never_fires_is_reported() -> None:
    never = parse_schedule("0 0 0 30 2 *")  # February 30th
    with pytest.raises(ScheduleError, match="never fires"):
        never.next_after(D(2024, 1, 1))


def test_timespan_schedules() -> None:
    every5 = parse_schedule("00:00:05")
    assert isinstance(every5, IntervalSchedule)
    assert every5.occurrences(D(2024, 1, 1), 2) == [D(2024, 1, 1, 0, 0, 5), D(2024, 1, 1, 0, 0, 10)]
    assert parse_schedule("1.02:00:00").next_after(D(2024, 1, 1)) == D(2024, 1, 2, 2)
    for bad in ("00:00:00", "24:00:00", "00:61:00"):
        with pytest.raises(ScheduleError):
            parse_schedule(bad)


def test_min_interval_drives_the_use_monitor_default() -> None:
    start = D(2024, 1, 1)
    assert parse_schedule("*/30 * * * * *").min_interval(start) == timedelta(seconds=30)
    assert parse_schedule("0 0 */2 * * *").min_interval(start) == timedelta(hours=2)


# ---------------------------------------------------------------- brute-force oracle


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    single = value.map(str)
    rng = st.tuples(value, value).map(lambda ab: f"{min(ab)}-{max(ab)}")
    step = st.tuples(st.sampled_from(["*", None]), value, st.integers(1, high - low + 1)).map(
        lambda t: f"*/{t[2]}" if t[0] else f"{t[1]}/{t[2]}"
    )
    item = st.one_of(single, rng, step, st.just("*"))
    return st.lists(item, min_size=1, max_size=3).map(",".join)


def _brute_force(schedule: CronSchedule, start: datetime, step: timedelta, limit: int) -> datetime:
    """First matching time after ``start``, found by stepping (seconds, or midnights)."""
    if step == timedelta(seconds=1):
        t = start.replace(microsecond=0) + step
    else:
        t = start.replace(hour=0, minute=0, second=0, microsecond=0)
        if t <= start:
            t += step
    for _ in range(limit):
        if schedule.matches(t):
            return t
        t += step
    raise AssertionError("oracle found nothing")


_starts = st.datetimes(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1))


@settings(max_examples=60, deadline=None)
@given(second=_field(0, 59), minute=_field(0, 59), start=_starts)
def test_time_fields_match_a_second_by_second_search(second: str, minute: str, start: datetime) -> None:
    schedule = CronSchedule.parse(f"{second} {minute} * * * *")
    expected = _brute_force(schedule, start, timedelta(seconds=1), 3700)
    assert schedule.next_after(start) == expected


@settings(max_examples=60, deadline=None)
@given(day=_field(1, 31), month=_field(1, 12), weekday=_field(0, 6), start=_starts)
def test_date_fields_match_a_day_by_day_search(day: str, month: str, weekday: str, start: datetime) -> None:
    schedule = CronSchedule.parse(f"0 0 0 {day} {month} {weekday}")
    try:
        expected = _brute_force(schedule, start, timedelta(days=1), 366 * 61)
    except AssertionError:
        with pytest.raises(ScheduleError):
            schedule.next_after(start)
        return
    assert schedule.next_after(start) == expected
