"""The one source of "now" for the domain, the scheduler and the tests.

Everything that needs the time takes a `Clock` argument instead of calling `datetime.now`,
so tests move a `ManualClock` forward rather than sleeping. Every value is time-zone aware
and in UTC; conversion to local time happens only where the calendar needs it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current instant, time-zone aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones, whose zone would be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: pass a time-zone aware value")
    return moment.astimezone(UTC)


class ManualClock:
    """A clock that moves only when told to: the test double for time."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward; use set() to jump back")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to `moment` (either direction) and return it in UTC."""
        self._now = as_utc(moment)
        return self._now
