"""Administrators set holidays and make-up working days in the console, over the package
and HOLIDAYS_FILE.

The same rules as the file: a date or a range `first`–`until` (both included) of at most
`MAX_RANGE_DAYS` days, a name of 1–`NAME_MAX` characters. A date the console already holds
is refused (remove it first); a date the package or the file holds is not, because the
console is where an operator corrects them. Nothing is stored unless every day is valid.
Deadlines already set are stored on their tickets and never move when the calendar does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from tickets.actors import Actor
from tickets.errors import NotFound, ValidationError
from tickets.holidays import MAX_RANGE_DAYS, NAME_MAX, CalendarDay
from tickets.membership import require_admin


class CalendarDayStore(Protocol):
    """The console's dates: read whole (a few dozen a year), added and removed by day."""

    async def list_days(self) -> list[CalendarDay]:
        """Every console date, earliest first."""
        ...

    async def add_days(self, days: Sequence[CalendarDay]) -> None: ...

    async def remove_day(self, *, day: date) -> None: ...


def parse_day(text: str) -> date:
    """A date typed as YYYY-MM-DD; anything else is refused."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("calendar_date", value=text.strip()[:20]) from None


def clean_name(text: str) -> str:
    """The day's name on one line, 1–`NAME_MAX` characters."""
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX:
        raise ValidationError("calendar_name", maximum=NAME_MAX)
    return name


def days_between(first: date, until: date | None) -> list[date]:
    """Every day from `first` to `until` (included); a backwards or too long range is refused."""
    last = until or first
    if last < first:
        raise ValidationError("calendar_range_backwards")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationError("calendar_range_too_long", maximum=MAX_RANGE_DAYS)
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


async def add_calendar_days(
    store: CalendarDayStore,
    actor: Actor,
    *,
    first: str,
    until: str,
    name: str,
    working: bool,
    added_by: str,
    at: datetime,
) -> list[CalendarDay]:
    """Add a holiday (or make-up working days) from `first` to `until`; all or nothing."""
    require_admin(actor)
    start = parse_day(first)
    last = parse_day(until) if until.strip() else None
    days = days_between(start, last)
    label = clean_name(name)
    held = {d.day for d in await store.list_days()}
    if taken := sorted(held.intersection(days)):
        raise ValidationError("calendar_day_taken", day=taken[0].isoformat())
    added = [CalendarDay(day, working, label, added_by=added_by, added_at=at) for day in days]
    await store.add_days(added)
    return added


async def remove_calendar_day(store: CalendarDayStore, actor: Actor, *, day: str) -> CalendarDay:
    """Remove one console date: the package's or the file's day applies again."""
    require_admin(actor)
    wanted = parse_day(day)
    found = next((d for d in await store.list_days() if d.day == wanted), None)
    if found is None:
        raise NotFound("calendar_day_not_found", day=wanted.isoformat())
    await store.remove_day(day=wanted)
    return found
