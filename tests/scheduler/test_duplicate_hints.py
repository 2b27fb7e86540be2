"""Duplicate hints on real SQL: same department, same anonymity, newest five at most."""

from __future__ import annotations

from itertools import count

from sqlalchemy import update
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import Department, Ticket
from storage.repositories import SqlTicketRepository
from tests.factories import photo_ref, report_draft
from tests.scheduler.test_jobs import I18N, make_workspace
from tickets.clock import ManualClock
from tickets.reports import DUPLICATE_HINTS_MAX, submit_report
from tickets.views import TicketView

PHASH = "ffee00aa11223344"
_reporters = count(500_000_100)


async def file_with_photo(
    session_factory: SessionFactory, clock: ManualClock, *, anonymous: bool = True
) -> TicketView:
    draft = report_draft(
        reporter_user_id=next(_reporters),
        photos=(photo_ref(phash=PHASH),),
        anonymous=anonymous,
        real_name=None if anonymous else "Li Si",
        phone=None if anonymous else "13900139000",
    )
    with I18N.context():
        async with session_factory() as session, session.begin():
            submission = await submit_report(make_workspace(clock)(session), draft, per_hour=5)
    return submission.ticket


async def hints_for(session_factory: SessionFactory, ticket: TicketView) -> list[str]:
    async with session_factory() as session:
        return await SqlTicketRepository(session).similar_photo_codes(
            phashes=[PHASH], like=ticket, limit=DUPLICATE_HINTS_MAX
        )


async def test_only_same_department_and_same_anonymity_are_hinted(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    same = await file_with_photo(session_factory, clock)
    moved = await file_with_photo(session_factory, clock)
    real_name = await file_with_photo(session_factory, clock, anonymous=False)
    async with session_factory() as session, session.begin():
        other = Department(name="Transport Bureau")
        session.add(other)
        await session.flush()
        await session.execute(
            update(Ticket).where(col(Ticket.id) == moved.id).values(department_id=other.id)
        )

    latest = await file_with_photo(session_factory, clock)

    assert await hints_for(session_factory, latest) == [same.code]
    assert await hints_for(session_factory, real_name) == []


async def test_at_most_five_hints_and_the_newest_first(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    earlier = [await file_with_photo(session_factory, clock) for _ in range(7)]

    latest = await file_with_photo(session_factory, clock)

    hints = await hints_for(session_factory, latest)
    assert hints == [t.code for t in reversed(earlier)][:DUPLICATE_HINTS_MAX]
