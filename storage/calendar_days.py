"""The console's holidays and make-up working days, and each replica's calendar built on them.

`SqlCalendarDays` is `tickets.holiday_admin.CalendarDayStore` on the unit of work's session.
`ReplicaCalendar` is the working-day calendar one process counts deadlines with: the package
and HOLIDAYS_FILE (loaded once at start) with the console's dates on top, reloaded when a
unit of work starts and the copy is older than `MAX_AGE`, and right after this process
commits a console change (`storage.replica_copy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import CalendarDayRow
from storage.replica_copy import MAX_AGE, ReplicaCopy
from tickets.clock import Clock
from tickets.holidays import CalendarDay, WorkingCalendar


def day_of(row: CalendarDayRow) -> CalendarDay:
    return CalendarDay(row.day, row.working, row.name, row.added_by, row.added_at)


async def list_days(session: AsyncSession) -> list[CalendarDay]:
    """Every console date, earliest first."""
    rows = await session.scalars(select(CalendarDayRow).order_by(col(CalendarDayRow.day)))
    return [day_of(row) for row in rows]


async def console_calendar(sessions: SessionFactory, base: WorkingCalendar) -> WorkingCalendar:
    """`base` with the console's dates as they are now (for jobs outside any update)."""
    async with sessions() as session:
        return base.with_console(await list_days(session))


async def days_at(url: str) -> list[CalendarDay]:
    """The console's dates in the database at `url`; none if it cannot be read (`doctor`)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            query = select(CalendarDayRow).order_by(col(CalendarDayRow.day))
            rows = (await connection.execute(query)).all()
    except (SQLAlchemyError, OSError):
        return []  # not migrated yet, or unreachable: the database check says which
    finally:
        await engine.dispose()
    return [CalendarDay(r.day, r.working, r.name, r.added_by, r.added_at) for r in rows]


class ReplicaCalendar(ReplicaCopy[WorkingCalendar]):
    """This process's calendar: `base` (package and file) plus the console's dates."""

    def __init__(self, base: WorkingCalendar, *, clock: Clock, max_age: timedelta = MAX_AGE):
        super().__init__(base, clock=clock, max_age=max_age)
        self.base = base

    async def load(self, session: AsyncSession) -> WorkingCalendar:
        return self.base.with_console(await list_days(session))


class SqlCalendarDays:
    """The console's dates on the unit of work's session; a change refreshes `calendars`."""

    def __init__(self, session: AsyncSession, calendars: ReplicaCalendar | None = None) -> None:
        self._session = session
        self._calendars = calendars

    async def list_days(self) -> list[CalendarDay]:
        return await list_days(self._session)

    async def add_days(self, days: Sequence[CalendarDay]) -> None:
        for d in days:
            self._session.add(
                CalendarDayRow(
                    day=d.day,
                    working=d.working,
                    name=d.name,
                    added_by=d.added_by,
                    **({"added_at": d.added_at} if d.added_at else {}),
                )
            )
        await self._session.flush()
        self._changed()

    async def remove_day(self, *, day: date) -> None:
        await self._session.execute(delete(CalendarDayRow).where(col(CalendarDayRow.day) == day))
        self._changed()

    def _changed(self) -> None:
        if self._calendars is not None:
            self._calendars.forget_after_commit(self._session)
