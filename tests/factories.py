"""Builders for the values and rows tests set the scene with: sensible defaults, keyword
overrides for what a test is about.

Domain values (`ticket_view`, `report_draft`, `photo_ref`, `department_view`,
`member_view`, the actors) are plain frozen dataclasses; storage rows (`department_row`,
`member_row`, `ticket_row`) are unsaved SQLModel objects, and the `add_*` helpers insert
them in one transaction of a session factory and return the new id.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, TypeVar

from aiogram.types import Chat, Message, Update, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel, col

from emulator.client import ChatUser
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.identity import IdentityKeys, lookup_hash
from storage.models import Department, Member, Reporter, Ticket
from tests.keys import TEST_KEYS
from tickets.actors import Actor, Membership, Role
from tickets.findings import Finding, Outcome
from tickets.membership import DepartmentView, MemberView
from tickets.views import NewReport, PhotoRef, TicketView

# Monday 2026-11-23 09:00 in Shanghai: a working day, office hours.
FILED_AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
# The default policy's deadlines for a report filed at FILED_AT (18:00 local).
ACCEPT_BY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
RESOLVE_BY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
REPORTER_USER_ID = 500_000_001
DESCRIPTION = "The clerk at window 3 played games on his phone for an hour"
# A resolution's finding where the test is not about findings.
UNVERIFIED = Outcome(Finding.UNVERIFIABLE)

_keys = count(1)
_codes = count(1)

# Anything that opens a session as an async context manager: `app.session_factory` too.
Sessions = Callable[[], AsyncSession]
Row = TypeVar("Row", bound=SQLModel)


# -- domain values ----------------------------------------------------------------------------


def ticket_view(**fields: Any) -> TicketView:
    """Return a new, anonymous ticket of the intake department (1), filed at FILED_AT."""
    base = TicketView(
        id=1,
        code="SR-0000-0000-0",
        category="idle",
        description=DESCRIPTION,
        state="new",
        department_id=1,
        department_name="Intake",
        anonymous=True,
        reporter_id=1,
        reporter_user_id=REPORTER_USER_ID,
        created_at=FILED_AT,
        accept_by=ACCEPT_BY,
        resolve_by=RESOLVE_BY,
    )
    return dataclasses.replace(base, **fields)


def photo_ref(**fields: Any) -> PhotoRef:
    """Return a stored photo's reference (a 1×1 placeholder unless told otherwise)."""
    base = PhotoRef(sha256="0" * 64, phash=None, size_bytes=1, width=1, height=1)
    return dataclasses.replace(base, **fields)


def report_draft(**fields: Any) -> NewReport:
    """Return a valid anonymous draft with a fresh `submit_key` and no photos."""
    base = NewReport(
        submit_key=f"draft:{next(_keys)}",
        reporter_user_id=REPORTER_USER_ID,
        category="idle",
        description=DESCRIPTION,
        photos=(),
    )
    return dataclasses.replace(base, **fields)


def department_view(**fields: Any) -> DepartmentView:
    return dataclasses.replace(DepartmentView(id=1, name="Intake", is_intake=True), **fields)


def member_view(**fields: Any) -> MemberView:
    base = MemberView(
        id=1,
        user_id=800_000_001,
        display_name="Sup",
        role=Role.SUPERVISOR,
        department_id=1,
        joined_at=FILED_AT,
    )
    return dataclasses.replace(base, **fields)


def admin(user_id: int = 900_000_001) -> Actor:
    return Actor(user_id=user_id, is_admin=True)


def staff(
    department_id: int = 1,
    role: Role = Role.SUPERVISOR,
    *,
    user_id: int = 800_000_001,
    member_id: int = 10,
) -> Actor:
    """Return a member of one department with `role`."""
    return Actor(user_id=user_id, memberships=(Membership(department_id, role, member_id),))


# -- storage rows -----------------------------------------------------------------------------


def department_row(name: str = "受理中心", **fields: Any) -> Department:
    return Department(name=name, **fields)


def member_row(
    user_id: int, department_id: int, *, role: str = "supervisor", display_name: str = "Sup"
) -> Member:
    return Member(
        channel_user_id=user_id, display_name=display_name, role=role, department_id=department_id
    )


def ticket_row(code: str, department_id: int, reporter_id: int, **fields: Any) -> Ticket:
    """Return a new ticket row; `submit_key` follows the code unless given."""
    defaults: dict[str, Any] = {
        "submit_key": f"key-{code}",
        "description": "test",
        "category": "idle",
        "state": "new",
    }
    return Ticket(
        code=code, department_id=department_id, reporter_id=reporter_id, **(defaults | fields)
    )


async def rows_of(
    sessions: Sessions, model: type[Row], *order: Any, where: Any = None
) -> list[Row]:
    """The rows of `model`'s table that match `where` (all by default), in `order` if given."""
    statement = select(model).order_by(*order)
    if where is not None:
        statement = statement.where(where)
    async with sessions() as session:
        return list(await session.scalars(statement))


async def reporter_by_hash(session: AsyncSession, user_id: int) -> Reporter | None:
    """The reporter of `user_id`, found by the keyed lookup hash, as the bot finds it."""
    return await session.scalar(
        select(Reporter).where(col(Reporter.user_hash) == lookup_hash(session, user_id))
    )


async def identity_by_hash(
    session: AsyncSession, user_id: int
) -> tuple[int, str | None, str | None] | None:
    """What the reporter of `user_id` (found as `reporter_by_hash` finds it) reads back as:
    their chat id, real name and phone."""
    reporter = await reporter_by_hash(session, user_id)
    if reporter is None:
        return None
    return reporter.channel_user_id, reporter.real_name, reporter.phone


@contextlib.asynccontextmanager
async def engine_at(
    url: str, *, keys: IdentityKeys | None = TEST_KEYS, tables: bool = False
) -> AsyncIterator[AsyncEngine]:
    """An engine on `url` sealing identities with `keys` (every model's table created first
    when `tables`), disposed when the block ends."""
    engine = create_engine(url, keys=keys)
    try:
        if tables:
            async with engine.begin() as connection:
                await connection.run_sync(SQLModel.metadata.create_all)
        yield engine
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def tables_at(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on the database at `url`, every model's table created in it first."""
    async with engine_at(url, tables=True) as engine:
        yield create_session_factory(engine)


async def add_department(
    sessions: Sessions, name: str, *, supervisor: int | None = None, **fields: Any
) -> int:
    """Insert a department (and a supervisor called "Sup" when given); return its id."""
    async with sessions() as session, session.begin():
        department = department_row(name, **fields)
        session.add(department)
        await session.flush()
        assert department.id is not None
        if supervisor is not None:
            session.add(member_row(supervisor, department.id))
        return department.id


async def add_member(
    sessions: Sessions,
    user_id: int,
    department_id: int,
    *,
    role: str = "supervisor",
    display_name: str = "Sup",
) -> int:
    """Insert a member of a department; return the member's id."""
    async with sessions() as session, session.begin():
        member = member_row(user_id, department_id, role=role, display_name=display_name)
        session.add(member)
        await session.flush()
        assert member.id is not None
        return member.id


async def add_ticket(
    sessions: Sessions,
    department_id: int,
    created_at: datetime,
    *,
    reporter_user_id: int | None = None,
    code: str | None = None,
    **fields: Any,
) -> Ticket:
    """Insert a ticket of a new reporter, with deadlines a day and a week after filing."""
    number = next(_codes)
    code = code or f"SR-TEST-{number:04d}"
    user_id = reporter_user_id if reporter_user_id is not None else 500_000_000 + number
    deadlines = {
        "accept_by": created_at + timedelta(days=1),
        "resolve_by": created_at + timedelta(days=7),
    }
    async with sessions() as session, session.begin():
        reporter = Reporter(channel_user_id=user_id)
        session.add(reporter)
        await session.flush()
        assert reporter.id is not None
        ticket = ticket_row(
            code, department_id, reporter.id, created_at=created_at, **(deadlines | fields)
        )
        session.add(ticket)
        await session.flush()
    return ticket


def text_update(update_id: int, user: ChatUser, text: str) -> Update:
    """A private text message from `user` as an Update, for feeding the app directly (a
    backlog left by a dead bot, or what only a forged webhook call would deliver)."""
    person = User(id=user.id, is_bot=False, first_name=user.user.first_name, language_code="en")
    message = Message(
        message_id=update_id,
        date=datetime.now(UTC),
        chat=Chat(id=user.chat_id, type="private"),
        from_user=person,
        text=text,
    )
    return Update(update_id=update_id, message=message)
