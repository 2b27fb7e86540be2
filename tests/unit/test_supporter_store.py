"""`storage.supporters.SqlSupporters`: a WeChat supporter's address, and the resolved cases
a supporter has yet to rate (what a typed 1/2/3 on WeChat answers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import Reporter
from storage.supporters import SqlSupporters
from tests.factories import add_department, add_ticket

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
OPEN_ID_KEY = 7_000_000_001


async def test_unrated_lists_resolved_cases_joined_and_not_yet_rated_newest_first(
    sessions: SessionFactory,
) -> None:
    department = await add_department(sessions, "受理中心")
    older = await add_ticket(sessions, department, T0, state="resolved", resolved_at=T0)
    newer = await add_ticket(
        sessions, department, T0, state="resolved", resolved_at=T0 + timedelta(hours=1)
    )
    still_open = await add_ticket(sessions, department, T0, state="accepted")
    rated = await add_ticket(sessions, department, T0, state="resolved", resolved_at=T0)
    tickets = [older, newer, still_open, rated]
    async with sessions() as session, session.begin():
        store = SqlSupporters(session)
        for ticket in tickets:
            assert ticket.id is not None
            await store.add(
                ticket_id=ticket.id,
                reporter_user_id=OPEN_ID_KEY,
                channel="wechat",
                now=T0,
                address="oSupporter",
            )
        assert rated.id is not None
        await store.record_rating(
            ticket_id=rated.id,
            reporter_user_id=OPEN_ID_KEY,
            channel="wechat",
            rating="fair",
            now=T0,
        )
    async with sessions() as session:
        store = SqlSupporters(session)
        found = await store.unrated(reporter_user_id=OPEN_ID_KEY, channel="wechat")
        assert found == [newer.id, older.id]
        # The same number on another channel is another person.
        assert await store.unrated(reporter_user_id=OPEN_ID_KEY, channel="telegram") == []
        [reporter] = await session.scalars(
            select(Reporter).where(col(Reporter.channel) == "wechat")
        )
        assert reporter.channel_address == "oSupporter"  # where its notices go
