"""SQLModel implementations of the domain's repositories (see `tickets/ports.py`).

They never commit: the unit of work around the update or job does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.identity import keys_of, lookup_hash
from storage.models import (
    Department,
    Evidence,
    FollowUp,
    Reporter,
    Ticket,
    TicketEvent,
    utcnow,
)
from tickets.accused import supervising_office
from tickets.sources import OFFICE
from tickets.views import NewReport, TicketView


async def ticket_view(session: AsyncSession, ticket: Ticket) -> TicketView:
    """Join a ticket row with its department and reporter into a domain value."""
    department = await session.get(Department, ticket.department_id)
    reporter = await session.get(Reporter, ticket.reporter_id)
    assert department is not None and reporter is not None
    return _view(ticket, department.name, reporter, await accused_fields(session, ticket))


ACCUSED = aliased(Department, name="accused")


async def ticket_views(
    session: AsyncSession, *where: ColumnElement[bool], order_by: Sequence[Any]
) -> list[TicketView]:
    """The tickets `where` selects as domain values, in one query with their department,
    reporter and the unit reported (not one query per ticket, as `ticket_view`)."""
    rows = (
        await session.execute(
            select(
                Ticket, col(Department.name), Reporter, col(ACCUSED.name), col(ACCUSED.parent_id)
            )
            .join(Department, col(Department.id) == col(Ticket.department_id))
            .join(Reporter, col(Reporter.id) == col(Ticket.reporter_id))
            .outerjoin(ACCUSED, col(ACCUSED.id) == col(Ticket.accused_department_id))
            .where(*where)
            .order_by(*order_by)
        )
    ).all()
    intake: int | None = None
    if any(row[3] is not None for row in rows):
        intake = await session.scalar(select(col(Department.id)).where(col(Department.is_intake)))
    views = []
    for ticket, department_name, reporter, unit_name, unit_parent in rows:
        accused: dict[str, Any] = {}
        if unit_name is not None:
            accused = _accused(ticket.accused_department_id, unit_name, unit_parent, intake)
        views.append(_view(ticket, department_name, reporter, accused))
    return views


def _view(
    ticket: Ticket, department_name: str, reporter: Reporter, accused: dict[str, Any]
) -> TicketView:
    assert ticket.id is not None
    return TicketView(
        id=ticket.id,
        code=ticket.code,
        category=ticket.category,
        description=ticket.description,
        state=ticket.state,
        department_id=ticket.department_id,
        department_name=department_name,
        anonymous=ticket.anonymous,
        reporter_id=reporter.id or 0,
        reporter_user_id=reporter.channel_user_id,
        created_at=ticket.created_at,
        place_text=ticket.place_text,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        source_tag=ticket.source_tag,
        accept_by=ticket.accept_by,
        resolve_by=ticket.resolve_by,
        accepted_at=ticket.accepted_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        card=ticket.card,
        public_reply=ticket.public_reply,
        reject_reason=ticket.reject_reason,
        duplicate_of_id=ticket.duplicate_of_id,
        satisfaction=ticket.satisfaction,
        handler_member_id=ticket.handler_member_id,
        real_name=None if ticket.anonymous else reporter.real_name,
        phone=None if ticket.anonymous else reporter.phone,
        channel=ticket.channel,
        finding=ticket.finding,
        finding_actions=tuple(ticket.finding_actions or ()),
        people_concerned=ticket.people_concerned,
        intake_source=ticket.intake_source,
        reply_contact=ticket.reply_contact,
        **accused,
    )


async def accused_fields(session: AsyncSession, ticket: Ticket) -> dict[str, Any]:
    """The unit the ticket is about, its name, and the office overseeing it."""
    if ticket.accused_department_id is None:
        return {}
    unit = await session.get(Department, ticket.accused_department_id)
    if unit is None:
        return {}
    intake = await session.scalar(select(col(Department.id)).where(col(Department.is_intake)))
    return _accused(ticket.accused_department_id, unit.name, unit.parent_id, intake)


def _accused(
    unit_id: int | None, name: str, parent_id: int | None, intake_id: int | None
) -> dict[str, Any]:
    assert unit_id is not None
    office = supervising_office(unit_id, parents={unit_id: parent_id}, intake_id=intake_id or 0)
    return {
        "accused_department_id": unit_id,
        "accused_department_name": name,
        "overseer_department_id": office,
    }


class SqlTicketRepository:
    """Tickets, their reporters, evidence and events."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, *, ticket_id: int) -> TicketView | None:
        row = await self._session.get(Ticket, ticket_id)
        return await ticket_view(self._session, row) if row else None

    async def get_by_code(self, *, code: str) -> TicketView | None:
        row = await self._session.scalar(select(Ticket).where(col(Ticket.code) == code))
        return await ticket_view(self._session, row) if row else None

    def _submit_digest(self, submit_key: str) -> str:
        """Stored instead of the draft's submit key, which begins with the reporter's id."""
        return keys_of(self._session).lookup_hash(submit_key)

    async def get_by_submit_key(self, *, submit_key: str) -> TicketView | None:
        row = await self._session.scalar(
            select(Ticket).where(col(Ticket.submit_key) == self._submit_digest(submit_key))
        )
        return await ticket_view(self._session, row) if row else None

    async def add(
        self,
        *,
        draft: NewReport,
        code: str,
        department_id: int,
        state: str,
        accept_by: datetime,
        resolve_by: datetime,
        now: datetime,
    ) -> TicketView:
        reporter = await self.reporter(
            user_id=draft.reporter_user_id, channel=draft.channel, address=draft.reporter_address
        )
        reporter.language = draft.language or reporter.language
        if not draft.anonymous:
            reporter.real_name, reporter.phone = draft.real_name, draft.phone
        ticket = Ticket(
            code=code,
            channel=draft.channel,
            submit_key=self._submit_digest(draft.submit_key),
            category=draft.category,
            description=draft.description,
            place_text=draft.place_text,
            latitude=draft.latitude,
            longitude=draft.longitude,
            source_tag=draft.source_tag,
            department_id=department_id,
            accused_department_id=draft.accused_department_id,
            intake_source=draft.intake_source or draft.channel,
            reply_contact=draft.reply_contact,
            state=state,
            anonymous=draft.anonymous,
            reporter_id=reporter.id or 0,
            created_at=now,
            updated_at=now,
            accept_by=accept_by,
            resolve_by=resolve_by,
        )
        self._session.add(ticket)
        await self._session.flush()
        assert ticket.id is not None
        for photo in draft.photos:
            self._session.add(
                Evidence(
                    ticket_id=ticket.id,
                    sha256=photo.sha256,
                    phash=photo.phash,
                    size_bytes=photo.size_bytes,
                    width=photo.width,
                    height=photo.height,
                    telegram_file_id=photo.telegram_file_id,
                    captured_at=photo.captured_at,
                    gps_lat=photo.gps_lat,
                    gps_lon=photo.gps_lon,
                    original_sha256=photo.original_sha256,
                    created_at=now,
                )
            )
        await self._session.flush()
        return await ticket_view(self._session, ticket)

    async def reporter(
        self, *, user_id: int, channel: str = "telegram", address: str | None = None
    ) -> Reporter:
        """The reporter row of a person on a channel, created on first use."""
        row = await self._session.scalar(
            select(Reporter).where(
                col(Reporter.channel) == channel,
                col(Reporter.user_hash) == lookup_hash(self._session, user_id),
            )
        )
        if row is None:
            row = Reporter(channel=channel, channel_user_id=user_id, channel_address=address)
            self._session.add(row)
            await self._session.flush()
        elif address is not None and row.channel_address != address:
            row.channel_address = address
        return row

    async def update(self, *, ticket_id: int, changes: dict[str, Any]) -> TicketView:
        row = await self._session.get(Ticket, ticket_id)
        assert row is not None
        for name, value in changes.items():
            # A JSON column stores lists; the domain hands over tuples.
            setattr(row, name, list(value) if isinstance(value, tuple) else value)
        row.updated_at = changes.get("updated_at", utcnow())
        await self._session.flush()
        return await ticket_view(self._session, row)

    async def add_event(
        self,
        *,
        ticket_id: int,
        at: datetime,
        actor_kind: str,
        actor_id: int | None,
        kind: str,
        from_state: str | None = None,
        to_state: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            TicketEvent(
                ticket_id=ticket_id,
                at=at,
                actor_kind=actor_kind,
                actor_id=actor_id,
                kind=kind,
                from_state=from_state,
                to_state=to_state,
                text=text,
                payload=payload or {},
            )
        )

    async def count_submitted_since(self, *, reporter_user_id: int, since: datetime) -> int:
        count = await self._session.scalar(
            select(func.count(col(Ticket.id)))
            .join(Reporter, col(Reporter.id) == col(Ticket.reporter_id))
            .where(
                col(Reporter.user_hash) == lookup_hash(self._session, reporter_user_id),
                col(Reporter.channel) != OFFICE,  # what they registered as staff is not theirs
                col(Ticket.created_at) >= since,
            )
        )
        return int(count or 0)

    async def event_times_since(
        self, *, ticket_id: int, kinds: Collection[str], since: datetime
    ) -> list[datetime]:
        rows = await self._session.scalars(
            select(col(TicketEvent.at)).where(
                col(TicketEvent.ticket_id) == ticket_id,
                col(TicketEvent.kind).in_(list(kinds)),
                col(TicketEvent.at) > since,
            )
        )
        return list(rows)

    async def similar_photo_codes(
        self, *, phashes: Sequence[str], like: TicketView, limit: int
    ) -> list[str]:
        """Newest codes of other tickets of `like`'s department and anonymity sharing a photo.

        A hint must not tell the department more than the ticket does: another
        department's tickets, or a real-name ticket beside an anonymous one, are never named.
        """
        if not phashes:
            return []
        rows = await self._session.execute(
            select(col(Ticket.code), func.max(col(Ticket.id)))
            .join(Evidence, col(Evidence.ticket_id) == col(Ticket.id))
            .where(
                col(Evidence.phash).in_(phashes),
                col(Ticket.id) != like.id,
                col(Ticket.department_id) == like.department_id,
                col(Ticket.anonymous) == like.anonymous,
            )
            .group_by(col(Ticket.code))
            .order_by(func.max(col(Ticket.id)).desc())
            .limit(limit)
        )
        return [code for code, _ in rows]

    async def list_by_reporter(
        self, *, reporter_user_id: int, offset: int, limit: int
    ) -> list[TicketView]:
        rows = await self._session.scalars(
            select(Ticket)
            .join(Reporter, col(Reporter.id) == col(Ticket.reporter_id))
            .where(
                col(Reporter.user_hash) == lookup_hash(self._session, reporter_user_id),
                col(Reporter.channel) != OFFICE,  # reports they registered as staff
            )
            .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
            .offset(offset)
            .limit(limit)
        )
        return [await ticket_view(self._session, row) for row in rows]

    async def public_events(self, *, ticket_id: int) -> list[TicketEvent]:
        rows = await self._session.scalars(
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id) == ticket_id)
            .order_by(col(TicketEvent.at), col(TicketEvent.id))
        )
        return list(rows)


class SqlFollowUpRepository:
    """Durable follow-ups the scheduler sweeps."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(self, *, ticket_id: int, plan: Sequence[tuple[str, datetime]]) -> None:
        self._session.add_all(
            FollowUp(ticket_id=ticket_id, kind=kind, due_at=due) for kind, due in plan
        )

    async def cancel(
        self, *, ticket_id: int, at: datetime, kinds: Sequence[str] | None = None
    ) -> None:
        statement = (
            update(FollowUp)
            .where(
                col(FollowUp.ticket_id) == ticket_id,
                col(FollowUp.done_at).is_(None),
            )
            .values(cancelled=True, done_at=at)
        )
        if kinds is not None:
            statement = statement.where(col(FollowUp.kind).in_(kinds))
        await self._session.execute(statement)
