"""The console's holidays as stored, and each replica's calendar on them: the replica that
made a change counts on it as soon as it is committed, another within `MAX_AGE`, and a
change rolled back is never seen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scheduler.runner import refresh_replica_copies
from storage.calendar_days import ReplicaCalendar, SqlCalendarDays
from storage.db import SessionFactory
from storage.replica_copy import MAX_AGE
from tickets.clock import ManualClock
from tickets.holidays import PACKAGED, CalendarDay

SATURDAY = date(2028, 3, 4)  # 2028: no packaged schedule, plain Monday–Friday
AT = datetime(2027, 12, 1, 2, tzinfo=UTC)


def make_up_day(day: date = SATURDAY) -> CalendarDay:
    return CalendarDay(day, working=True, name="调休", added_by="0123456789abcdef", added_at=AT)


async def test_days_are_stored_with_who_and_when_and_removed(
    session_factory: SessionFactory,
) -> None:
    async with session_factory() as session:
        days = SqlCalendarDays(session)
        await days.add_days([make_up_day(SATURDAY + timedelta(days=1)), make_up_day()])
        await session.commit()
    async with session_factory() as session:
        days = SqlCalendarDays(session)
        assert await days.list_days() == [make_up_day(), make_up_day(SATURDAY + timedelta(1))]
        await days.remove_day(day=SATURDAY)
        await session.commit()
    async with session_factory() as session:
        assert [d.day for d in await SqlCalendarDays(session).list_days()] == [
            SATURDAY + timedelta(days=1)
        ]


async def test_the_changing_replica_sees_a_commit_at_once_others_within_max_age(
    session_factory: SessionFactory,
) -> None:
    clock = ManualClock(AT)
    here = ReplicaCalendar(PACKAGED, clock=clock)
    there = ReplicaCalendar(PACKAGED, clock=clock)
    for replica in (here, there):
        await replica.refresh(session_factory)
        assert not replica.current.is_working_day(SATURDAY)

    async with session_factory() as session:
        await SqlCalendarDays(session, here).add_days([make_up_day()])
        await session.rollback()
    await here.refresh(session_factory)
    assert not here.current.is_working_day(SATURDAY)  # rolled back: nothing to see

    async with session_factory() as session:
        await SqlCalendarDays(session, here).add_days([make_up_day()])
        assert not (await here.fresh(session)).is_working_day(SATURDAY)  # not yet committed
        await session.commit()
    await here.refresh(session_factory)
    assert here.current.is_working_day(SATURDAY)

    await refresh_replica_copies(there, session_factory)  # the per-replica job, within MAX_AGE
    assert not there.current.is_working_day(SATURDAY)
    clock.advance(MAX_AGE)
    await refresh_replica_copies(there, session_factory)
    assert there.current.is_working_day(SATURDAY)
