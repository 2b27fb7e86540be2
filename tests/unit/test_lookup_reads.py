"""The `/status` and `/queue` reads: one query each, the same answer as the ticket loaded whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import SessionFactory
from storage.reads import SqlCaseReads
from storage.repositories import SqlTicketRepository
from tests.factories import add_department, add_ticket, tables_at
from tickets.views import TicketStatus

T0 = datetime(2026, 3, 2, 2, tzinfo=UTC)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async with tables_at(f"sqlite+aiosqlite:///{tmp_path / 'reads.sqlite3'}") as sessions:
        yield sessions


async def test_status_by_code_is_what_the_whole_ticket_shows(sessions: SessionFactory) -> None:
    office = await add_department(sessions, "受理中心", is_intake=True)
    unit = await add_department(sessions, "城东派出所")
    await add_ticket(
        sessions, office, T0, code="SR-AAAA-BBBB-C", state="resolved", accused_department_id=unit,
        anonymous=False, public_reply="已办结", finding="substantiated",
        finding_actions=["criticism"], people_concerned=2,
    )  # fmt: skip

    async with sessions() as session:
        status = await SqlCaseReads(session).ticket_status(code="SR-AAAA-BBBB-C")
        whole = await SqlTicketRepository(session).get_by_code(code="SR-AAAA-BBBB-C")
        missing = await SqlCaseReads(session).ticket_status(code="SR-ZZZZ-ZZZZ-Z")

    assert whole is not None and status == TicketStatus.of(whole)
    assert status.department_name == "受理中心" and status.finding_actions == ("criticism",)
    assert missing is None


async def test_queue_pages_oldest_current_deadline_first_with_whole_tickets(
    sessions: SessionFactory,
) -> None:
    office = await add_department(sessions, "受理中心", is_intake=True)
    other = await add_department(sessions, "交通运输局")
    unit = await add_department(sessions, "城东派出所", parent_id=other)
    day = timedelta(days=1)
    # new: accept_by counts (a day after filing); otherwise resolve_by (a week after).
    late_new = await add_ticket(sessions, office, T0 + 5 * day, state="new")
    early_work = await add_ticket(
        sessions, office, T0, state="in_progress", accused_department_id=unit
    )
    await add_ticket(sessions, office, T0 - 9 * day, state="closed")
    await add_ticket(sessions, other, T0 - 9 * day, state="new")
    reopened = await add_ticket(sessions, office, T0 + 1 * day, state="reopened")

    async with sessions() as session:
        reads = SqlCaseReads(session)
        first, total = await reads.open_queue(department_ids={office}, offset=0, limit=2)
        second, _ = await reads.open_queue(department_ids={office}, offset=2, limit=2)
        everyone, all_open = await reads.open_queue(department_ids=None, offset=0, limit=10)
        whole = await SqlTicketRepository(session).get(ticket_id=early_work.id or 0)

    assert total == 3 and all_open == 4
    assert [t.code for t in first + second] == [late_new.code, early_work.code, reopened.code]
    assert first[1] == whole  # the accused unit and its overseer, the reporter: all there
    assert first[1].accused_department_name == "城东派出所"
    assert first[1].overseer_department_id == other
    assert len(everyone) == 4 and everyone[0].department_id == other
