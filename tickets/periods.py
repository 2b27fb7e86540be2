"""Reporting periods as people name them: this week, a month, a quarter, two typed dates.

Pure calendar arithmetic shared by `/stats`, `/export` and `/ranking`; `Period` itself and
what it measures live in `tickets.measures`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from tickets.clock import Clock
from tickets.measures import Period

PERIODS = ("week", "month", "quarter")
MAX_DAYS = 366
YEARS = range(2000, 2100)
DATES = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|–|—|-|to|\s)\s*(\d{4}-\d{2}-\d{2})")


def today(clock: Clock, tz: ZoneInfo) -> date:
    """Return the local date: periods follow the office's calendar, not UTC's."""
    return clock.now().astimezone(tz).date()


def named_period(name: str, day: date, tz: ZoneInfo) -> Period:
    """Return the week, month or quarter (one of `PERIODS`) holding `day`."""
    makers = {"week": Period.week_of, "month": Period.month_of, "quarter": Period.quarter_of}
    return makers[name](day, tz)


def parse_days(text: str, tz: ZoneInfo) -> Period:
    """`2026-11-01 2026-11-30` (both days included) as a period; ValueError if not one."""
    match = DATES.fullmatch(text.strip())
    if match is None:
        raise ValueError("not two dates")
    first, last = (date.fromisoformat(value) for value in match.groups())
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError("not an ordered span of at most a year")
    return Period.local_days(first, last + timedelta(days=1), tz)


def quarter_of(day: date) -> tuple[int, int]:
    """Return (year, quarter number) of a date."""
    return day.year, (day.month - 1) // 3 + 1


def shift_quarter(year: int, quarter: int, by: int) -> tuple[int, int]:
    """Step `by` quarters forward (or back), across years."""
    index = year * 4 + quarter - 1 + by
    return index // 4, index % 4 + 1


def parse_quarter(args: str | None, current: tuple[int, int]) -> tuple[int, int]:
    """`2026Q3`, `2026 Q3` or nothing (the current quarter); ValueError otherwise."""
    text = (args or "").replace(" ", "").upper()
    if not text:
        return current
    match = re.fullmatch(r"(\d{4})Q([1-4])", text)
    if match is None or int(match.group(1)) not in YEARS:
        raise ValueError("not a quarter")
    return int(match.group(1)), int(match.group(2))
