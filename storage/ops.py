"""The operational counts a scrape of /metrics shows: backlogs, ticket states, overdue work.

A handful of aggregate queries, run together when the metrics cache is stale (a scrape every
15-60 s), never per update. Counts only: no row, and so no user id, leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import InboxUpdate, OutboxMessage, Ticket
from tickets.states import OPEN_STATES, TicketState

_UNSENT = ("pending", "sending")
_RESOLVING = [str(s) for s in OPEN_STATES if s is not TicketState.NEW]


@dataclass(frozen=True)
class OpsCounts:
    """What the operators watch, as of `at`."""

    at: datetime
    inbox_backlog: int = 0
    outbox_by_state: dict[str, int] = field(default_factory=dict)
    outbox_oldest_unsent_seconds: float = 0.0
    tickets_by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    red_cards: int = 0


async def ops_counts(session: AsyncSession, *, now: datetime) -> OpsCounts:
    """Count the inbox and outbox backlogs, tickets per state, and overdue open tickets."""
    inbox = await session.scalar(select(func.count()).where(col(InboxUpdate.handled_at).is_(None)))
    outbox = await session.execute(
        select(col(OutboxMessage.state), func.count()).group_by(col(OutboxMessage.state))
    )
    oldest = await session.scalar(
        select(func.min(col(OutboxMessage.created_at))).where(
            col(OutboxMessage.state).in_(_UNSENT)
        )
    )
    states = await session.execute(
        select(col(Ticket.state), func.count()).group_by(col(Ticket.state))
    )
    open_states = [str(s) for s in OPEN_STATES]
    overdue = await session.scalar(
        select(func.count()).where(
            or_(
                and_(col(Ticket.state) == TicketState.NEW, col(Ticket.accept_by) < now),
                and_(col(Ticket.state).in_(_RESOLVING), col(Ticket.resolve_by) < now),
            )
        )
    )
    red = await session.scalar(
        select(func.count()).where(col(Ticket.state).in_(open_states), col(Ticket.card) == "red")
    )
    return OpsCounts(
        at=now,
        inbox_backlog=int(inbox or 0),
        outbox_by_state={str(state): int(count) for state, count in outbox},
        outbox_oldest_unsent_seconds=(
            max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        ),
        tickets_by_state={str(state): int(count) for state, count in states},
        overdue=int(overdue or 0),
        red_cards=int(red or 0),
    )
