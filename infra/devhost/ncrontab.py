"""NCRONTAB schedules as the Functions timer trigger reads them.

The host parses ``{second} {minute} {hour} {day} {month} {day-of-week}`` (the five-field
form without seconds is accepted too and fires at second 0). Each field takes ``*``,
single values, ``a-b`` ranges, ``/step`` on ``*``, on a range or on a single start value
(``5/15`` means 5, 20, 35, 50), comma lists of any of those, and for month and
day-of-week English names (``JAN``/``January``, ``MON``/``Monday``; case-insensitive).
Day-of-week runs 0-6 with Sunday = 0.

Two NCrontab behaviours differ from Vixie cron and are kept on purpose so that a
schedule fires locally exactly when it would in Azure:

* when both day-of-month and day-of-week are restricted, a day must match BOTH
  (Vixie cron fires when EITHER matches);
* 7 is not a valid day-of-week (Sunday is only 0).

The host also accepts a ``hh:mm:ss`` TimeSpan instead of a cron expression (a fixed
interval; not on the Consumption plan): :func:`parse_schedule` returns an
:class:`IntervalSchedule` for those.

Written from the field semantics; no parsing regexes (the input is a plain token
grammar, so it is split by hand).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "Schedule",
    "ScheduleError",
    "parse_schedule",
]

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

#: Give up looking for the next occurrence after this many years. A valid schedule can
#: need 40 (Feb 29 on a given weekday across 2100, which is no leap year); one that
#: never fires (``0 0 0 30 2 *``) must not loop forever.
_SEARCH_YEARS = 60


class ScheduleError(ValueError):
    """The schedule text is not a valid NCRONTAB expression or TimeSpan."""


@dataclass(frozen=True)
class _FieldSpec:
    label: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_SECOND = _FieldSpec("second", 0, 59)
_MINUTE = _FieldSpec("minute", 0, 59)
_HOUR = _FieldSpec("hour", 0, 23)
_DAY = _FieldSpec("day", 1, 31)
_MONTH = _FieldSpec("month", 1, 12, _MONTH_NAMES)
_WEEKDAY = _FieldSpec("day-of-week", 0, 6, _DAY_NAMES)


def _parse_value(text: str, spec: _FieldSpec) -> int:
    if not text:
        raise ScheduleError(f"empty value in the {spec.label} field")
    if text.isascii() and text.isdigit():
        value = int(text)
    elif spec.names:
        lowered = text.lower()
        matches = [
            i for i, name in enumerate(spec.names) if lowered == name or (len(text) == 3 and lowered == name[:3])
        ]
        if not matches:
            raise ScheduleError(
                f"'{text}' is not a valid {spec.label} name (use e.g. "
                f"{spec.names[1][:3].upper()} or {spec.names[1].title()})"
            )
        value = matches[0] + spec.low
    else:
        raise ScheduleError(f"'{text}' is not a number in the {spec.label} field")
    if not spec.low <= value <= spec.high:
        raise ScheduleError(f"{value} is out of range for the {spec.label} field ({spec.low}-{spec.high})")
    return value


def _parse_field(text: str, spec: _FieldSpec) -> frozenset[int]:
    """The set of values a field allows."""
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleError(f"empty list item in the {spec.label} field '{text}'")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()):
                raise ScheduleError(f"step '{step_text}' in the {spec.label} field is not a whole number")
            step = int(step_text)
            if step < 1:
                raise ScheduleError(f"step in the {spec.label} field must be at least 1")
        if base == "*":
            start, end = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _parse_value(first, spec), _parse_value(last, spec)
            if start > end:
                raise ScheduleError(f"range '{base}' in the {spec.label} field runs backwards")
        else:
            start = _parse_value(base, spec)
            end = spec.high if slash else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


class Schedule:
    """Anything that can say when it fires next."""

    def next_after(self, moment: datetime) -> datetime:  # pragma: no cover - interface
        raise NotImplementedError

    def occurrences(self, moment: datetime, count: int) -> list[datetime]:
        """The next ``count`` fire times strictly after ``moment``."""
        out: list[datetime] = []
        for _ in range(count):
            moment = self.next_after(moment)
            out.append(moment)
        return out

    def min_interval(self, moment: datetime) -> timedelta:
        """Gap between the next two occurrences (used for the host's useMonitor default)."""
        first, second = self.occurrences(moment, 2)
        return second - first


@dataclass(frozen=True)
class IntervalSchedule(Schedule):
    """A TimeSpan schedule (``00:05:00``): fires every ``interval`` after the last run."""

    interval: timedelta
    text: str

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """A parsed NCRONTAB expression. Times keep the tzinfo they were given (UTC in the host)."""

    text: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        parts = text.split()
        if len(parts) == 5:
            parts = ["0", *parts]
        if len(parts) != 6:
            raise ScheduleError(
                f"'{text}' has {len(parts)} fields; NCRONTAB needs six: "
                "{second} {minute} {hour} {day} {month} {day-of-week}"
            )
        specs = (_SECOND, _MINUTE, _HOUR, _DAY, _MONTH, _WEEKDAY)
        fields = [_parse_field(part, spec) for part, spec in zip(parts, specs, strict=True)]
        return cls(" ".join(parts), *fields)

    def matches(self, moment: datetime) -> bool:
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.day in self.days
            and moment.month in self.months
            and (moment.weekday() + 1) % 7 in self.weekdays
        )

    def next_after(self, moment: datetime) -> datetime:
        """First fire time strictly after ``moment`` (sub-second part ignored)."""
        t = moment.replace(microsecond=0) + timedelta(seconds=1)
        tz = t.tzinfo
        limit = t.year + _SEARCH_YEARS
        while t.year <= limit:
            if t.month not in self.months:
                month = _next_value(self.months, t.month)
                t = datetime(t.year, month, 1, tzinfo=tz) if month else datetime(t.year + 1, 1, 1, tzinfo=tz)
                continue
            if t.day not in self.days or (t.weekday() + 1) % 7 not in self.weekdays:
                t = _start_of_next_day(t)
                continue
            if t.hour not in self.hours:
                hour = _next_value(self.hours, t.hour)
                t = t.replace(hour=hour, minute=0, second=0) if hour else _start_of_next_day(t)
                continue
            if t.minute not in self.minutes:
                minute = _next_value(self.minutes, t.minute)
                t = t.replace(minute=minute, second=0) if minute else _start_of_next_hour(t)
                continue
            if t.second not in self.seconds:
                second = _next_value(self.seconds, t.second)
                t = t.replace(second=second) if second else _start_of_next_minute(t)
                continue
            return t
        raise ScheduleError(f"'{self.text}' never fires (no occurrence within {_SEARCH_YEARS} years)")

    def __str__(self) -> str:
        return self.text


def _next_value(allowed: frozenset[int], current: int) -> int | None:
    """Smallest allowed value above ``current`` (None: wrap to the next larger unit).

    Never 0: a value above ``current`` is at least 1, so ``if value`` is a safe test."""
    return min((v for v in allowed if v > current), default=None)


def _start_of_next_day(t: datetime) -> datetime:
    last = calendar.monthrange(t.year, t.month)[1]
    if t.day < last:
        return t.replace(day=t.day + 1, hour=0, minute=0, second=0)
    if t.month < 12:
        return t.replace(month=t.month + 1, day=1, hour=0, minute=0, second=0)
    return t.replace(year=t.year + 1, month=1, day=1, hour=0, minute=0, second=0)


def _start_of_next_hour(t: datetime) -> datetime:
    if t.hour < 23:
        return t.replace(hour=t.hour + 1, minute=0, second=0)
    return _start_of_next_day(t)


def _start_of_next_minute(t: datetime) -> datetime:
    if t.minute < 59:
        return t.replace(minute=t.minute + 1, second=0)
    return _start_of_next_hour(t)


def _parse_timespan_schedule(text: str) -> IntervalSchedule | None:
    """``hh:mm:ss`` or ``d.hh:mm:ss`` → a fixed interval; None if it is not a TimeSpan."""
    pieces = text.split(":")
    if len(pieces) != 3:
        return None
    days = 0
    first = pieces[0]
    if "." in first:
        day_text, _, first = first.partition(".")
        if not day_text.isdigit():
            return None
        days = int(day_text)
    if not all(p.isascii() and p.isdigit() for p in (first, pieces[1], pieces[2])):
        return None
    hours, minutes, seconds = int(first), int(pieces[1]), int(pieces[2])
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ScheduleError(f"TimeSpan schedule '{text}' has an hour, minute or second out of range")
    interval = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if interval <= timedelta(0):
        raise ScheduleError(f"TimeSpan schedule '{text}' must be longer than zero")
    return IntervalSchedule(interval, text)


def parse_schedule(text: str) -> Schedule:
    """Parse a timer trigger schedule: an NCRONTAB expression or a ``hh:mm:ss`` TimeSpan."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("the timer schedule is empty")
    stripped = text.strip()
    interval = _parse_timespan_schedule(stripped)
    if interval is not None:
        return interval
    return CronSchedule.parse(stripped)
