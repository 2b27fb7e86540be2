"""Single runner on PostgreSQL: the advisory lock, SKIP LOCKED follow-ups, the dispatcher."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from scheduler.jobs import sweep_follow_ups
from scheduler.lock import AdvisoryLock, lock_key, runner_lock
from storage.db import SessionFactory
from storage.migrate import upgrade
from storage.models import FollowUp, OutboxMessage
from tests.pgserver import PostgresServer
from tests.scheduler.conftest import MakeDispatcher, Outbox
from tests.scheduler.test_jobs import ADMIN, I18N, file_report, make_workspace
from tickets.actors import Actor
from tickets.casework import act
from tickets.clock import ManualClock
from tickets.states import Action
from tickets.workflow import StaffCommand

pytestmark = pytest.mark.postgres
_names = itertools.count()  # databases on the session's server (tests/conftest.py)


@pytest.fixture
async def database_url(pg_server: PostgresServer) -> str:
    """Replaces the SQLite file of conftest: every fixture built on it runs on PostgreSQL."""
    url = await asyncio.to_thread(pg_server.create_database, f"sched_{next(_names)}")
    await asyncio.to_thread(upgrade, url)
    return url


async def test_only_one_process_holds_the_advisory_lock(engine: AsyncEngine) -> None:
    first, second = runner_lock(engine), AdvisoryLock(engine)
    assert isinstance(first, AdvisoryLock)

    assert await first.acquire()
    assert not await second.acquire()
    assert await first.held()
    await first.release()
    assert await second.acquire()
    assert not await first.acquire()
    await second.release()
    assert lock_key("snapreport:scheduler") == first.key


async def test_racing_sweeps_fire_each_follow_up_once(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    make = make_workspace(clock)
    await file_report(session_factory, make)
    clock.advance(timedelta(days=60))

    reports = await asyncio.gather(
        *(
            sweep_follow_ups(session_factory, clock=clock, make_workspace=make, i18n=I18N)
            for _ in range(3)
        )
    )

    async with session_factory() as session:
        planned = list(await session.scalars(select(FollowUp)))
        purposes = Counter(row.purpose for row in await session.scalars(select(OutboxMessage)))
    assert sum(report.done for report in reports) == len(planned)
    assert all(row.done_at is not None for row in planned)
    # Escalated once per red card (accept and resolve), not once per sweeper.
    assert purposes["admin:red_card"] == 2


async def test_dispatcher_keeps_order_on_postgres(outbox: Outbox) -> None:
    chats = await outbox.users(3)
    for chat in chats:
        await outbox.queue(chat, [f"{chat}/{n}" for n in range(4)])

    assert await outbox.deliver() == 12

    for chat in chats:
        assert await outbox.texts(chat) == [f"{chat}/{n}" for n in range(4)]


async def test_a_card_changed_while_it_is_sent_is_edited_once_it_lands(
    session_factory: SessionFactory, clock: ManualClock, make_dispatcher: MakeDispatcher
) -> None:
    """The accept commits while the new ticket's card is in flight: the card that lands
    still says "new", so the dispatcher must edit it, whichever commits first."""
    make = make_workspace(clock)
    ticket_id = await file_report(session_factory, make)
    dispatcher = make_dispatcher()
    async with session_factory() as session:
        card = await session.scalar(
            select(OutboxMessage).where(col(OutboxMessage.purpose) == "card")
        )
    assert card is not None
    in_flight = await dispatcher._claim(card)  # the dispatcher has sent it: no answer yet
    assert in_flight is not None

    with I18N.context():
        async with session_factory() as session, session.begin():
            command = StaffCommand(ticket_id=ticket_id, action=Action.ACCEPT)
            await act(make(session), Actor(user_id=ADMIN, is_admin=True), command)
            # Telegram answers while the accept is still open.
            landed = asyncio.create_task(dispatcher._mark_sent(in_flight, [77]))
            await asyncio.wait({landed}, timeout=0.5)
        await landed

    async with session_factory() as session:
        edits = list(
            await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.purpose) == "card_edit")
            )
        )
    assert [edit.payload["message_id"] for edit in edits] == [77]
    assert "Accepted" in edits[0].payload["text"]
