"""Read side of the staff's work: open-ticket queues, search, a ticket's history, and what a
card needs beyond the ticket (the last action and who took it, the assigned handler).

Reporter identity never leaves here: history entries name staff by their display name and
the reporter only as a kind ("reporter"), whatever the ticket.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Table, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from storage.directory import SqlDirectory
from storage.identity import lookup_hash
from storage.models import CardMessage, Member, OutboxMessage, Ticket, TicketEvent
from storage.repositories import SqlTicketRepository, ticket_view, ticket_views
from storage.supporters import supporter_count
from tickets.casework import FindQuery
from tickets.states import OPEN_STATES, TicketState
from tickets.views import CardContext, HistoryEntry, TicketStatus, TicketView

FIND_LIMIT = 20
QUESTIONS_SCANNED = 50  # a reporter replies to one of their recent questions
QUEUE_STATES = sorted(str(s) for s in OPEN_STATES)
TICKET: Table = SQLModel.metadata.tables["ticket"]
DEPARTMENT: Table = SQLModel.metadata.tables["department"]


def current_deadline_column() -> ColumnElement[datetime | None]:
    return case(
        (col(Ticket.state) == TicketState.NEW, col(Ticket.accept_by)),
        else_=col(Ticket.resolve_by),
    )


async def open_queue(
    session: AsyncSession, *, department_ids: Collection[int] | None, offset: int, limit: int
) -> tuple[list[TicketView], int]:
    """One page of open tickets (all departments when `department_ids` is None), oldest
    current deadline first, and how many there are in all."""
    where: list[ColumnElement[bool]] = [col(Ticket.state).in_(QUEUE_STATES)]
    if department_ids is not None:
        where.append(col(Ticket.department_id).in_(sorted(department_ids)))
    total = await session.scalar(select(func.count()).select_from(Ticket).where(*where))
    order = (current_deadline_column(), col(Ticket.id))
    # The page is chosen on `ix_ticket_open_queue` alone (it holds every column the filter
    # and the order read); only the page's own rows are then read whole.
    page = select(col(Ticket.id)).where(*where).order_by(*order).offset(offset).limit(limit)
    views = await ticket_views(session, col(Ticket.id).in_(page.scalar_subquery()), order_by=order)
    return views, int(total or 0)


_STATUS_BY_CODE = (
    select(
        TICKET.c.code, TICKET.c.state, TICKET.c.category, DEPARTMENT.c.name,
        TICKET.c.created_at, TICKET.c.accept_by, TICKET.c.resolve_by, TICKET.c.public_reply,
        TICKET.c.reject_reason, TICKET.c.finding, TICKET.c.finding_actions,
    )
    .join(DEPARTMENT, DEPARTMENT.c.id == TICKET.c.department_id)
    .where(TICKET.c.code == bindparam("code"))
)  # fmt: skip


async def ticket_status(session: AsyncSession, *, code: str) -> TicketStatus | None:
    """What `/status` shows of the ticket with this code: one row, nothing decrypted."""
    row = (await session.execute(_STATUS_BY_CODE, {"code": code})).first()
    if row is None:
        return None
    return TicketStatus(
        code=row.code,
        state=row.state,
        category=row.category,
        department_name=row.name,
        created_at=row.created_at,
        accept_by=row.accept_by,
        resolve_by=row.resolve_by,
        public_reply=row.public_reply,
        reject_reason=row.reject_reason,
        finding=row.finding,
        finding_actions=tuple(row.finding_actions or ()),
    )


async def find_tickets(
    session: AsyncSession,
    *,
    department_ids: Collection[int] | None,
    query: FindQuery,
    limit: int = FIND_LIMIT,
) -> tuple[list[TicketView], int]:
    """Tickets matching the query, newest first (at most `limit`), and the full count."""
    where: list[ColumnElement[bool]] = []
    if department_ids is not None:
        where.append(col(Ticket.department_id).in_(sorted(department_ids)))
    if query.category is not None:
        where.append(col(Ticket.category) == str(query.category))
    if query.state is not None:
        where.append(col(Ticket.state) == str(query.state))
    if query.since is not None:
        where.append(col(Ticket.created_at) >= query.since)
    if query.until is not None:
        where.append(col(Ticket.created_at) < query.until)
    if query.department_id is not None:
        where.append(col(Ticket.department_id) == query.department_id)
    if query.card is not None:
        where.append(col(Ticket.card) == query.card)
    total = await session.scalar(select(func.count(col(Ticket.id))).where(*where))
    order = (col(Ticket.created_at).desc(), col(Ticket.id).desc())
    # One query for the page with its departments, reporters and units, not one per ticket.
    page = select(col(Ticket.id)).where(*where).order_by(*order).limit(limit)
    views = await ticket_views(session, col(Ticket.id).in_(page.scalar_subquery()), order_by=order)
    return views, int(total or 0)


async def history(session: AsyncSession, *, ticket_id: int) -> list[HistoryEntry]:
    """Every event of a ticket, oldest first, staff named, the reporter never identified."""
    events = list(
        await session.scalars(
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id) == ticket_id)
            .order_by(col(TicketEvent.at), col(TicketEvent.id))
        )
    )
    staff_ids = {e.actor_id for e in events if e.actor_kind == "member" and e.actor_id}
    names = await SqlDirectory(session).member_names(user_ids=staff_ids)
    return [
        HistoryEntry(
            at=event.at,
            kind=event.kind,
            actor_kind=event.actor_kind,
            actor_name=names.get(event.actor_id or 0) if event.actor_kind == "member" else None,
            from_state=event.from_state,
            to_state=event.to_state,
            text=event.text,
        )
        for event in events
    ]


async def card_context(session: AsyncSession, ticket: TicketView) -> CardContext:
    """The card's footer facts: the last staff or reporter action, handler, links."""
    entries = await history(session, ticket_id=ticket.id)
    last = entries[-1] if entries else None
    handler_name = None
    if ticket.handler_member_id is not None:
        member = await session.get(Member, ticket.handler_member_id)
        handler_name = member.display_name if member else None
    duplicates = tuple(
        await session.scalars(
            select(col(Ticket.code))
            .where(col(Ticket.duplicate_of_id) == ticket.id)
            .order_by(col(Ticket.id))
        )
    )
    original = (
        await session.get(Ticket, ticket.duplicate_of_id) if ticket.duplicate_of_id else None
    )
    return CardContext(
        last=last,
        handler_name=handler_name,
        duplicates=duplicates,
        original_code=original.code if original else None,
        supporters=await supporter_count(session, ticket_id=ticket.id),
    )


async def duplicate_tickets(session: AsyncSession, *, ticket_id: int) -> list[TicketView]:
    """Tickets linked to this one as duplicates (their reporters follow it too)."""
    rows = await session.scalars(
        select(Ticket).where(col(Ticket.duplicate_of_id) == ticket_id).order_by(col(Ticket.id))
    )
    return [await ticket_view(session, row) for row in rows]


async def question_ticket(session: AsyncSession, *, chat_id: int, message_id: int) -> int | None:
    """The ticket whose question to the reporter was delivered as `message_id` in `chat_id`."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.chat_hash) == lookup_hash(session, chat_id),
            col(OutboxMessage.purpose) == "reporter:question",
            col(OutboxMessage.state) == "sent",
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(QUESTIONS_SCANNED)
    )
    for row in rows:
        if message_id in (row.result_message_ids or []):
            return row.ticket_id
    return None


class SqlCaseReads:
    """`tickets.ports.CaseReads` on the update's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_queue(
        self, *, department_ids: Collection[int] | None, offset: int, limit: int
    ) -> tuple[list[TicketView], int]:
        return await open_queue(
            self._session, department_ids=department_ids, offset=offset, limit=limit
        )

    async def find(
        self, *, department_ids: Collection[int] | None, query: FindQuery
    ) -> tuple[list[TicketView], int]:
        return await find_tickets(self._session, department_ids=department_ids, query=query)

    async def history(self, *, ticket_id: int) -> list[HistoryEntry]:
        return await history(self._session, ticket_id=ticket_id)

    async def card_context(self, ticket: TicketView) -> CardContext:
        return await card_context(self._session, ticket)

    async def is_tracked_card(self, *, ticket_id: int, chat_id: int, message_id: int) -> bool:
        tracked = await self._session.scalar(
            select(col(CardMessage.id)).where(
                col(CardMessage.ticket_id) == ticket_id,
                col(CardMessage.chat_hash) == lookup_hash(self._session, chat_id),
                col(CardMessage.message_id) == message_id,
            )
        )
        return tracked is not None

    async def question_ticket(self, *, chat_id: int, message_id: int) -> int | None:
        return await question_ticket(self._session, chat_id=chat_id, message_id=message_id)

    async def reporter_tickets(
        self, *, reporter_user_id: int, offset: int, limit: int
    ) -> list[TicketView]:
        return await SqlTicketRepository(self._session).list_by_reporter(
            reporter_user_id=reporter_user_id, offset=offset, limit=limit
        )

    async def ticket_status(self, *, code: str) -> TicketStatus | None:
        return await ticket_status(self._session, code=code)
