"""Supporters of tickets and the open tickets a draft may join (`tickets.supporters`).

A supporter points at their reporter row, the one their reports use (channel id encrypted,
found by keyed hash). The candidates are bounded: the window's open tickets, newest first,
at most `limit`, each with the perceptual hashes of its photos.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.identity import lookup_hash
from storage.models import Evidence, Reporter, Supporter, Ticket, TicketEvent
from storage.repositories import SqlTicketRepository
from storage.rows import rows_changed
from tickets.sources import OFFICE
from tickets.states import Action, TicketState
from tickets.supporters import Candidate, MergeRecord


class SqlSupporters:
    """`tickets.supporters.SupporterStore` on SQLModel."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _reporter_id(self, *, user_id: int, channel: str) -> int | None:
        return await self._session.scalar(
            select(col(Reporter.id)).where(
                col(Reporter.channel) == channel,
                col(Reporter.user_hash) == lookup_hash(self._session, user_id),
            )
        )

    async def candidates(
        self,
        *,
        reporter_user_id: int,
        channel: str,
        since: datetime,
        states: Sequence[str],
        limit: int,
    ) -> list[Candidate]:
        rows = list(
            await self._session.execute(
                select(
                    col(Ticket.id),
                    col(Ticket.category),
                    col(Ticket.state),
                    col(Ticket.created_at),
                    col(Ticket.source_tag),
                    col(Ticket.reporter_id),
                )
                .where(col(Ticket.created_at) >= since, col(Ticket.state).in_(list(states)))
                .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
                .limit(limit)
            )
        )
        if not rows:
            return []
        ids = [row[0] for row in rows]
        hashes: dict[int, list[str]] = {}
        for ticket_id, phash in await self._session.execute(
            select(col(Evidence.ticket_id), col(Evidence.phash)).where(
                col(Evidence.ticket_id).in_(ids), col(Evidence.phash).is_not(None)
            )
        ):
            if phash:
                hashes.setdefault(ticket_id, []).append(phash)
        me = await self._reporter_id(user_id=reporter_user_id, channel=channel)
        joined = (
            set(
                await self._session.scalars(
                    select(col(Supporter.ticket_id)).where(
                        col(Supporter.reporter_id) == me, col(Supporter.ticket_id).in_(ids)
                    )
                )
            )
            if me is not None
            else set()
        )
        return [
            Candidate(
                ticket_id=ticket_id or 0,
                category=category,
                state=state,
                created_at=created_at,
                source_tag=source_tag,
                phashes=tuple(hashes.get(ticket_id or 0, ())),
                own=me is not None and (reporter_id == me or ticket_id in joined),
            )
            for ticket_id, category, state, created_at, source_tag, reporter_id in rows
        ]

    async def add(
        self,
        *,
        ticket_id: int,
        reporter_user_id: int,
        channel: str,
        now: datetime,
        language: str | None = None,
        address: str | None = None,
    ) -> bool:
        reporter = await SqlTicketRepository(self._session).reporter(
            user_id=reporter_user_id, channel=channel, address=address
        )
        reporter.language = language or reporter.language
        existing = await self._session.scalar(
            select(Supporter).where(
                col(Supporter.ticket_id) == ticket_id, col(Supporter.reporter_id) == reporter.id
            )
        )
        if existing is not None:
            return False
        self._session.add(
            Supporter(ticket_id=ticket_id, reporter_id=reporter.id or 0, created_at=now)
        )
        await self._session.flush()
        return True

    async def count(self, *, ticket_id: int) -> int:
        return await supporter_count(self._session, ticket_id=ticket_id)

    async def people(self, *, ticket_id: int) -> list[int]:
        reporter = await self._session.scalar(
            select(col(Ticket.reporter_id))
            .join(Reporter, col(Reporter.id) == col(Ticket.reporter_id))
            .where(col(Ticket.id) == ticket_id, col(Reporter.channel) != OFFICE)
        )
        supporters = await self._session.scalars(
            select(col(Supporter.reporter_id))
            .where(col(Supporter.ticket_id) == ticket_id)
            .order_by(col(Supporter.id))
        )
        return ([reporter] if reporter is not None else []) + list(supporters)

    async def add_people(
        self, *, ticket_id: int, reporter_ids: Sequence[int], now: datetime
    ) -> list[int]:
        rows = [
            Supporter(ticket_id=ticket_id, reporter_id=reporter_id, created_at=now)
            for reporter_id in reporter_ids
        ]
        self._session.add_all(rows)
        await self._session.flush()
        return [row.id or 0 for row in rows]

    async def remove(self, *, ticket_id: int, supporter_ids: Sequence[int]) -> int:
        if not supporter_ids:
            return 0
        result = await self._session.execute(
            delete(Supporter).where(
                col(Supporter.ticket_id) == ticket_id, col(Supporter.id).in_(list(supporter_ids))
            )
        )
        return rows_changed(result)

    async def last_merge(self, *, ticket_id: int) -> MergeRecord | None:
        event = await self._session.scalar(
            select(TicketEvent)
            .where(
                col(TicketEvent.ticket_id) == ticket_id,
                col(TicketEvent.kind) == str(Action.MERGE),
            )
            .order_by(col(TicketEvent.id).desc())
            .limit(1)
        )
        if event is None or event.from_state is None:
            return None
        return MergeRecord(
            from_state=event.from_state,
            target_id=int(event.payload.get("target_id", 0)),
            supporter_ids=tuple(int(i) for i in event.payload.get("supporters", ())),
        )

    async def joined(self, *, reporter_user_id: int, channel: str, limit: int) -> list[int]:
        me = await self._reporter_id(user_id=reporter_user_id, channel=channel)
        if me is None:
            return []
        rows = await self._session.scalars(
            select(col(Supporter.ticket_id))
            .where(col(Supporter.reporter_id) == me)
            .order_by(col(Supporter.id).desc())
            .limit(limit)
        )
        return list(rows)

    async def is_supporter(self, *, ticket_id: int, reporter_user_id: int, channel: str) -> bool:
        me = await self._reporter_id(user_id=reporter_user_id, channel=channel)
        if me is None:
            return False
        found = await self._session.scalar(
            select(col(Supporter.id)).where(
                col(Supporter.ticket_id) == ticket_id, col(Supporter.reporter_id) == me
            )
        )
        return found is not None

    async def unrated(self, *, reporter_user_id: int, channel: str) -> list[int]:
        me = await self._reporter_id(user_id=reporter_user_id, channel=channel)
        if me is None:
            return []
        rows = await self._session.scalars(
            select(col(Supporter.ticket_id))
            .join(Ticket, col(Ticket.id) == col(Supporter.ticket_id))
            .where(
                col(Supporter.reporter_id) == me,
                col(Supporter.satisfaction).is_(None),
                col(Ticket.state) == TicketState.RESOLVED,
            )
            .order_by(col(Ticket.resolved_at).desc(), col(Ticket.id).desc())
        )
        return list(rows)

    async def record_rating(
        self, *, ticket_id: int, reporter_user_id: int, channel: str, rating: str, now: datetime
    ) -> bool | None:
        me = await self._reporter_id(user_id=reporter_user_id, channel=channel)
        row = (
            await self._session.scalar(
                select(Supporter).where(
                    col(Supporter.ticket_id) == ticket_id, col(Supporter.reporter_id) == me
                )
            )
            if me is not None
            else None
        )
        if row is None:
            return None
        if row.satisfaction is not None:
            return False
        row.satisfaction, row.rated_at = rating, now
        await self._session.flush()
        return True


async def supporter_count(session: AsyncSession, *, ticket_id: int) -> int:
    """How many citizens joined the ticket with 'me too'."""
    count = await session.scalar(
        select(func.count(col(Supporter.id))).where(col(Supporter.ticket_id) == ticket_id)
    )
    return int(count or 0)


async def supporter_reporters(session: AsyncSession, *, ticket_id: int) -> list[Reporter]:
    """The reporter rows of the ticket's supporters, first joined first."""
    rows = await session.scalars(
        select(Reporter)
        .join(Supporter, col(Supporter.reporter_id) == col(Reporter.id))
        .where(col(Supporter.ticket_id) == ticket_id)
        .order_by(col(Supporter.id))
    )
    return list(rows)
