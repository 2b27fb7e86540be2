"""Working-day arithmetic on the Chinese calendar, in a configurable time zone.

Which days are working days is a `tickets.holidays.WorkingCalendar`: the packaged
schedule (`chinese_calendar`) plus the dates of HOLIDAYS_FILE, Monday–Friday for a year
neither describes. Every function takes it as `calendar` (the composition root builds it
once); the default is the package alone.

Office hours are whole local hours, 9:00–18:00 by default; they bound the working time
counted by `working_hours_between` and set the hour at which a deadline falls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from tickets.clock import as_utc
from tickets.holidays import PACKAGED, WorkingCalendar

DEFAULT_TZ = "Asia/Shanghai"
DAY_START = 9
DAY_END = 18

ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)


def zone(tz: tzinfo | str) -> tzinfo:
    """Return `tz` as a tzinfo, looking names like "Asia/Shanghai" up in the tz database."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def is_working_day(day: date, calendar: WorkingCalendar = PACKAGED) -> bool:
    """Tell whether `day` is a working day in mainland China (Mon–Fri for unknown years)."""
    return calendar.is_working_day(day)


def next_working_day(day: date, calendar: WorkingCalendar = PACKAGED) -> date:
    """Return the first working day strictly after `day`."""
    day += ONE_DAY
    while not calendar.is_working_day(day):
        day += ONE_DAY
    return day


def nth_working_day_after(day: date, n: int, calendar: WorkingCalendar = PACKAGED) -> date:
    """Return the `n`-th working day strictly after `day` (`n` ≥ 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    for _ in range(n):
        day = next_working_day(day, calendar)
    return day


def _check_hours(day_start: int, day_end: int) -> None:
    if not 0 <= day_start < day_end <= 24:
        raise ValueError("office hours must satisfy 0 <= day_start < day_end <= 24")


def _at_hour(day: date, hour: int, tz: tzinfo) -> datetime:
    # Adding hours to local midnight keeps wall-clock meaning and allows hour 24.
    return datetime.combine(day, time(), tzinfo=tz) + timedelta(hours=hour)


def add_working_days(
    start: datetime,
    n: int,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    day_end: int = DAY_END,
    calendar: WorkingCalendar = PACKAGED,
) -> datetime:
    """Return the deadline `n` working days after `start`, in UTC.

    The deadline is the close of office (`day_end`, 18:00 local) on the `n`-th working day
    after the local day of `start`. As with periods in Chinese administrative law, the day
    the period starts is not counted, whatever the hour: a report filed on Monday at 08:00
    or at 23:00 with one working day is due on Tuesday at 18:00; one filed on a Saturday is
    due on Monday at 18:00. Counting from a deadline (a grace period) works the same way:
    two working days of grace after Monday 18:00 end on Wednesday 18:00.

    `n = 0` means "by the close of the current working day": the same day if it is a
    working day and `start` is before its close, otherwise the next working day.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    _check_hours(0, day_end)
    tz = zone(tz)
    local = as_utc(start).astimezone(tz)
    day = local.date()
    if n == 0:
        if not (calendar.is_working_day(day) and local < _at_hour(day, day_end, tz)):
            day = next_working_day(day, calendar)
    else:
        day = nth_working_day_after(day, n, calendar)
    return _at_hour(day, day_end, tz).astimezone(UTC)


def _office_windows(
    first: date, tz: tzinfo, day_start: int, day_end: int, calendar: WorkingCalendar
) -> Iterator[tuple[datetime, datetime]]:
    """Yield (open, close) of each working day from `first` on, without end."""
    day = first
    while True:
        if calendar.is_working_day(day):
            yield _at_hour(day, day_start, tz), _at_hour(day, day_end, tz)
        day += ONE_DAY


def working_time_between(
    a: datetime,
    b: datetime,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    day_start: int = DAY_START,
    day_end: int = DAY_END,
    calendar: WorkingCalendar = PACKAGED,
) -> timedelta:
    """Return the office time on working days between `a` and `b` (zero if `b` ≤ `a`)."""
    _check_hours(day_start, day_end)
    tz = zone(tz)
    a, b = as_utc(a), as_utc(b)
    total = timedelta(0)
    if b <= a:
        return total
    windows = _office_windows(a.astimezone(tz).date(), tz, day_start, day_end, calendar)
    for opens, closes in windows:
        if opens >= b:
            break
        overlap = min(closes, b) - max(opens, a)
        if overlap > timedelta(0):
            total += overlap
    return total


def working_hours_between(
    a: datetime,
    b: datetime,
    tz: tzinfo | str = DEFAULT_TZ,
    day_start: int = DAY_START,
    day_end: int = DAY_END,
) -> float:
    """Return the office hours on working days between `a` and `b`, for statistics."""
    return working_time_between(a, b, tz, day_start=day_start, day_end=day_end) / ONE_HOUR


def add_working_time(
    start: datetime,
    amount: timedelta,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    day_start: int = DAY_START,
    day_end: int = DAY_END,
    calendar: WorkingCalendar = PACKAGED,
) -> datetime:
    """Return the instant, in UTC, at which `amount` of office time has passed since `start`."""
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    _check_hours(day_start, day_end)
    tz = zone(tz)
    start = as_utc(start)
    if amount == timedelta(0):
        return start
    remaining = amount
    windows = _office_windows(start.astimezone(tz).date(), tz, day_start, day_end, calendar)
    for opens, closes in windows:
        begin = max(opens, start)
        if begin >= closes:
            continue
        if remaining <= closes - begin:
            return (begin + remaining).astimezone(UTC)
        remaining -= closes - begin
    raise AssertionError("unreachable: office windows never end")  # pragma: no cover
