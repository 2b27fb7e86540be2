"""Deadline policy (限时办结): how many working days a department has to accept and resolve.

Both deadlines count from the moment the report is filed, in working days on the Chinese
calendar (see `tickets.calendar.add_working_days`: the filing day is not counted and a
deadline falls at 18:00 local on its last working day). The defaults are one working day
to accept and five to resolve; any category can override them. A red card follows
`grace_days` working days after a missed deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from functools import partial
from types import MappingProxyType

from tickets.calendar import (
    DAY_END,
    DAY_START,
    DEFAULT_TZ,
    add_working_days,
    add_working_time,
    working_time_between,
)
from tickets.clock import as_utc
from tickets.holidays import PACKAGED, WorkingCalendar

REMINDER_FRACTIONS = (0.5, 0.8)
# What an administrator may set for a category, in working days (`/deadline`, the routes file).
ACCEPT_DAYS_MAX = 60
RESOLVE_DAYS_MAX = 120


@dataclass(frozen=True)
class DeadlineDays:
    """A category's deadlines as set by an administrator: resolving cannot be due first."""

    accept_days: int
    resolve_days: int

    @classmethod
    def checked(cls, accept_days: int, resolve_days: int) -> DeadlineDays | None:
        """These days if they are within the limits, else None."""
        if not 1 <= accept_days <= ACCEPT_DAYS_MAX or not 1 <= resolve_days <= RESOLVE_DAYS_MAX:
            return None
        return cls(accept_days, resolve_days) if resolve_days >= accept_days else None


@dataclass(frozen=True)
class DeadlinePolicy:
    """Working days allowed to accept and to resolve, and the grace before a red card."""

    accept_days: int = 1
    resolve_days: int = 5
    grace_days: int = 2

    def __post_init__(self) -> None:
        if min(self.accept_days, self.resolve_days, self.grace_days) < 0:
            raise ValueError("deadline days must not be negative")


@dataclass(frozen=True)
class DeadlinePolicies:
    """The default policy plus per-category overrides (keys are category slugs)."""

    default: DeadlinePolicy = DeadlinePolicy()
    overrides: Mapping[str, DeadlinePolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def for_category(self, category: str) -> DeadlinePolicy:
        """Return the policy for `category`: its override, else the default."""
        return self.overrides.get(category, self.default)

    def with_days(self, category: str, accept_days: int, resolve_days: int) -> DeadlinePolicies:
        """Return a copy where `category` has these days (grace stays the default's)."""
        policy = replace(self.default, accept_days=accept_days, resolve_days=resolve_days)
        return replace(self, overrides={**self.overrides, category: policy})


@dataclass(frozen=True)
class Deadlines:
    """A ticket's deadlines (UTC), with the grace and time zone its follow-ups derive from."""

    accept_by: datetime
    resolve_by: datetime
    grace_days: int = 2
    tz: str = DEFAULT_TZ
    calendar: WorkingCalendar = field(default=PACKAGED, compare=False, repr=False)

    @property
    def accept_red_at(self) -> datetime:
        """When a ticket still not accepted gets a red card."""
        return self._after_grace(self.accept_by)

    @property
    def resolve_red_at(self) -> datetime:
        """When a ticket still not resolved gets a red card."""
        return self._after_grace(self.resolve_by)

    def _after_grace(self, deadline: datetime) -> datetime:
        if self.grace_days == 0:
            return as_utc(deadline)
        return add_working_days(deadline, self.grace_days, self.tz, calendar=self.calendar)


def compute_deadlines(
    policy: DeadlinePolicy,
    start: datetime,
    tz: str = DEFAULT_TZ,
    calendar: WorkingCalendar = PACKAGED,
) -> Deadlines:
    """Return the accept and resolve deadlines of a report filed at `start`."""
    return Deadlines(
        accept_by=add_working_days(start, policy.accept_days, tz, calendar=calendar),
        resolve_by=resolve_deadline(policy, start, tz, calendar),
        grace_days=policy.grace_days,
        tz=tz,
        calendar=calendar,
    )


def resolve_deadline(
    policy: DeadlinePolicy,
    start: datetime,
    tz: str = DEFAULT_TZ,
    calendar: WorkingCalendar = PACKAGED,
) -> datetime:
    """Return a fresh resolve deadline counted from `start` (for a reopened ticket)."""
    return add_working_days(start, policy.resolve_days, tz, calendar=calendar)


def fraction_points(
    start: datetime,
    deadline: datetime,
    fractions: tuple[float, ...] = REMINDER_FRACTIONS,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    day_start: int = DAY_START,
    day_end: int = DAY_END,
    calendar: WorkingCalendar = PACKAGED,
) -> tuple[datetime, ...]:
    """Return when each fraction of the office time from `start` to `deadline` has passed.

    Fractions are of working time (office hours on working days), not wall time, so a
    reminder never lands on a Sunday or at night: from Friday 17:00 to Monday 18:00 there
    are ten office hours and the half-way point is Monday 13:00. When the span holds no
    office time at all the fractions fall back to wall time.
    """
    if any(not 0 <= fraction <= 1 for fraction in fractions):
        raise ValueError("fractions must lie between 0 and 1")
    start, deadline = as_utc(start), as_utc(deadline)
    if deadline <= start:
        return tuple(deadline for _ in fractions)
    office = partial(working_time_between, day_start=day_start, day_end=day_end)
    later = partial(add_working_time, day_start=day_start, day_end=day_end)
    total = office(start, deadline, tz, calendar=calendar)
    if total == timedelta(0):
        return tuple(start + (deadline - start) * fraction for fraction in fractions)
    return tuple(
        min(later(start, total * fraction, tz, calendar=calendar), deadline)
        for fraction in fractions
    )
