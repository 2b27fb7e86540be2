"""The working-day calendar: the packaged holiday schedule plus the operator's own dates.

`chinese_calendar` ships the State Council's holidays and make-up working days (调休)
only for the years published when the package was built. A `WorkingCalendar` adds
dates from HOLIDAYS_FILE on top of it (a date in the file wins over the package), and the
days administrators set in the web console on top of both (`with_console`: the console
wins), so a deployment can follow next year's schedule the day it is announced instead of
waiting for a package release. A year is *covered* when the package knows it or the file
or the console lists at least one date in it; for any other year days fall back to
Monday–Friday, which is why an uncovered year ahead is reported (doctor, daily notice to
administrators).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar

LOOKAHEAD_DAYS = 90
MAX_RANGE_DAYS = 31  # a longer holiday range (file or console) is surely a typo
NAME_MAX = 100


class DaySource(StrEnum):
    """Where a special day comes from, weakest first: the package, HOLIDAYS_FILE, the console."""

    PACKAGE = "package"
    FILE = "file"
    CONSOLE = "console"


@dataclass(frozen=True)
class DayOverride:
    """One date over the package: a holiday (`working=False`) or a make-up working day."""

    name: str
    working: bool
    source: DaySource = DaySource.FILE


@dataclass(frozen=True)
class CalendarDay:
    """A date an administrator set in the console, with who (keyed hash) and when."""

    day: date
    working: bool
    name: str
    added_by: str = ""
    added_at: datetime | None = None


@dataclass(frozen=True)
class SpecialDay:
    """A day that is not what its weekday says: a holiday, or a make-up working day (调休)."""

    day: date
    name: str
    chinese_name: str
    working: bool
    source: DaySource = DaySource.PACKAGE


# The package names its holidays in English; offices read them in Chinese.
CHINESE_NAMES = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}


def packaged_special_day(day: date) -> SpecialDay | None:
    """The package's holiday or make-up working day on `day`, if any (None for unknown years)."""
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if name is None:
        return None
    return SpecialDay(day, name, CHINESE_NAMES.get(name, name), working=not is_holiday)


@lru_cache(maxsize=4096)
def packaged_working_day(day: date) -> bool | None:
    """Tell whether the package calls `day` a working day; None for a year it lacks."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days: overrides (console, then file) first, then the package,
    then Mon–Fri."""

    overrides: Mapping[date, DayOverride] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def __hash__(self) -> int:
        # Frozen values holding a calendar (Workspace, Deadlines) stay hashable.
        return hash(frozenset(self.overrides.items()))

    def with_console(self, days: Iterable[CalendarDay]) -> WorkingCalendar:
        """This calendar with the console's days on top: a console date wins over any other."""
        console = {d.day: DayOverride(d.name, d.working, DaySource.CONSOLE) for d in days}
        return WorkingCalendar({**self.overrides, **console}) if console else self

    def is_working_day(self, day: date) -> bool:
        """Tell whether `day` is a working day in mainland China."""
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        packaged = packaged_working_day(day)
        return day.weekday() < 5 if packaged is None else packaged

    def covers(self, year: int) -> bool:
        """Tell whether the package, the file or the console describes `year` (no guessing)."""
        if packaged_working_day(date(year, 1, 1)) is not None:
            return True
        return any(day.year == year for day in self.overrides)

    def special_days(self, start: date, days: int = 366) -> list[SpecialDay]:
        """The holidays and make-up working days in use from `start` on, overrides first."""
        found = []
        for offset in range(days):
            day = start + timedelta(days=offset)
            override = self.overrides.get(day)
            if override is not None:
                found.append(
                    SpecialDay(
                        day, override.name, override.name, override.working, override.source
                    )
                )
            elif (packaged := packaged_special_day(day)) is not None:
                found.append(packaged)
        return found

    def uncovered_years(self, today: date, days: int = LOOKAHEAD_DAYS) -> list[int]:
        """Return the years from `today` to `today + days` this calendar does not cover."""
        years = range(today.year, (today + timedelta(days=days)).year + 1)
        return [year for year in years if not self.covers(year)]


PACKAGED = WorkingCalendar()
