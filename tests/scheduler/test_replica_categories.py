"""Each replica's copy of the category table: the replica that changed it reads the change
as soon as it is committed, another within `MAX_AGE`, and a rolled-back change never; the
per-replica job hands what is rendered outside updates the table it read."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.runner import refresh_replica_copies
from storage.calendar_days import ReplicaCalendar
from storage.categories import ReplicaCategories, SqlCategories
from storage.db import SessionFactory
from storage.replica_copy import MAX_AGE
from tickets.categories import Category
from tickets.clock import ManualClock
from tickets.holidays import PACKAGED
from ui.categories import current_categories, remember

AT = datetime(2027, 12, 1, 2, tzinfo=UTC)
PERMITS = Category("permits", "违规审批", "Irregular approvals", 99)


async def test_the_changing_replica_reads_a_commit_at_once_others_within_max_age(
    session_factory: SessionFactory,
) -> None:
    clock = ManualClock(AT)
    here, there = ReplicaCategories(clock=clock), ReplicaCategories(clock=clock)
    for replica in (here, there):
        assert "permits" not in [c.slug for c in await replica.refresh(session_factory)]

    async with session_factory() as session:
        await SqlCategories(session, here).add_category(PERMITS)
        await session.rollback()
    assert "permits" not in [c.slug for c in await here.refresh(session_factory)]

    async with session_factory() as session:
        await SqlCategories(session, here).add_category(PERMITS)
        assert "permits" not in [c.slug for c in await here.fresh(session)]  # not committed
        await session.commit()
    assert (await here.refresh(session_factory)).get("permits") == PERMITS

    async with session_factory() as session:
        await SqlCategories(session, here).update_category(slug="permits", en="Approvals")
        await session.commit()
    assert (await here.refresh(session_factory)).label("permits", "en") == "Approvals"

    assert "permits" not in [c.slug for c in await there.refresh(session_factory)]
    clock.advance(MAX_AGE)
    assert (await there.refresh(session_factory)).label("permits", "en") == "Approvals"


async def test_the_per_replica_job_hands_renderers_outside_updates_the_fresh_table(
    session_factory: SessionFactory,
) -> None:
    clock = ManualClock(AT)
    quiet = ReplicaCategories(clock=clock)
    await quiet.refresh(session_factory)
    async with session_factory() as session:
        await SqlCategories(session).add_category(PERMITS)  # another replica's change
        await session.commit()
    before = current_categories()
    try:
        clock.advance(MAX_AGE)
        await refresh_replica_copies(
            ReplicaCalendar(PACKAGED, clock=clock), session_factory, quiet
        )
        assert current_categories().label("permits", "en") == "Irregular approvals"
    finally:
        remember(before)
