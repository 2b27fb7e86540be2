"""Each replica's copy of the category table: the replica that changed it reads the change
as soon as it is committed, another within `MAX_AGE`, and a rolled-back change never."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.categories import ReplicaCategories, SqlCategories
from storage.db import SessionFactory
from storage.replica_copy import MAX_AGE
from tickets.categories import Category
from tickets.clock import ManualClock

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
