"""The counts behind the gauges, on SQLite and PostgreSQL: backlogs, states, overdue, red."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import InboxUpdate, OutboxMessage
from storage.ops import ops_counts
from tests.conftest import START
from tests.factories import add_department, add_ticket
from tests.keys import TEST_KEYS


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    await asyncio.to_thread(upgrade, database_url)
    engine = create_engine(database_url, keys=TEST_KEYS)
    yield create_session_factory(engine)
    await engine.dispose()


def outbox_row(key: str, state: str, age: timedelta) -> OutboxMessage:
    return OutboxMessage(
        idempotency_key=key, chat_id=1, method="sendMessage", state=state,
        created_at=START - age, not_before=START - age,
    )  # fmt: skip


async def test_counts_name_backlogs_states_and_overdue_tickets(sessions: SessionFactory) -> None:
    department = await add_department(sessions, "intake")
    day = timedelta(days=1)
    await add_ticket(sessions, department, START - 2 * day)  # accept_by passed: overdue
    await add_ticket(sessions, department, START)  # on time
    await add_ticket(sessions, department, START - 10 * day, state="in_progress", card="red")
    await add_ticket(sessions, department, START - 2 * day, state="accepted")  # resolve: on time
    await add_ticket(sessions, department, START - 30 * day, state="closed", card="red")
    async with sessions() as session, session.begin():
        session.add_all(
            [
                outbox_row("a", "pending", timedelta(minutes=5)),
                outbox_row("b", "pending", timedelta(minutes=1)),
                outbox_row("c", "sent", timedelta(hours=3)),
                outbox_row("d", "dead", timedelta(hours=2)),
                InboxUpdate(update_id=1, received_at=START),
                InboxUpdate(update_id=2, received_at=START, handled_at=START),
            ]
        )

    async with sessions() as session:
        counts = await ops_counts(session, now=START)

    assert counts.tickets_by_state == {"new": 2, "in_progress": 1, "accepted": 1, "closed": 1}
    assert counts.overdue == 2
    assert counts.red_cards == 1  # the closed ticket's card no longer counts
    assert counts.outbox_by_state == {"pending": 2, "sent": 1, "dead": 1}
    assert counts.outbox_oldest_unsent_seconds == 300.0
    assert counts.inbox_backlog == 1


async def test_an_empty_database_counts_zero(sessions: SessionFactory) -> None:
    async with sessions() as session:
        counts = await ops_counts(session, now=START)
    assert (counts.inbox_backlog, counts.overdue, counts.red_cards) == (0, 0, 0)
    assert counts.outbox_oldest_unsent_seconds == 0.0
