"""How much a reporter may send into one ticket per hour, counted from the ticket's events.

A reporter's answers (the anonymous relay) and supplements reach the department's chats at
once; without a ceiling one person could flood a group and push new alerts out of sight.
The count is the ticket's own event log over the last hour, so there is no counter to keep
in step, and a refusal stores nothing. The refusal says the limit and when the oldest
counted message leaves the window, i.e. when the reporter may write again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tickets.clock import as_utc
from tickets.errors import RateLimited

if TYPE_CHECKING:  # tickets.ports holds `Quotas` in its Workspace
    from tickets.ports import Workspace
    from tickets.views import TicketView

QUOTA_WINDOW = timedelta(hours=1)
RELAY_KINDS = ("answer",)
SUPPLEMENT_KINDS = ("supplement",)


@dataclass(frozen=True)
class Quotas:
    """Per ticket, per rolling hour: the reporter's relayed answers and supplements."""

    relay_per_hour: int = 10
    supplements_per_hour: int = 10


DEFAULT_QUOTAS = Quotas()


def free_again_at(times: Collection[datetime], limit: int) -> datetime | None:
    """When one more message fits, given the times of those in the window; None if now."""
    if len(times) < limit:
        return None
    ordered = sorted(as_utc(at) for at in times)
    return ordered[len(ordered) - limit] + QUOTA_WINDOW


async def check_quota(
    ws: Workspace, ticket: TicketView, *, kinds: Collection[str], limit: int, code: str
) -> None:
    """Refuse with `RateLimited(code)` when the ticket's last hour already holds `limit`."""
    # Strictly after: at `retry_at` the oldest counted message has left the window.
    since = ws.clock.now() - QUOTA_WINDOW
    times = await ws.tickets.event_times_since(ticket_id=ticket.id, kinds=kinds, since=since)
    retry_at = free_again_at(times, limit)
    if retry_at is not None:
        raise RateLimited(code, limit=limit, ticket=ticket.code, retry_at=retry_at)


async def check_relay_quota(ws: Workspace, ticket: TicketView) -> None:
    await check_quota(
        ws, ticket, kinds=RELAY_KINDS, limit=ws.quotas.relay_per_hour, code="relay_per_hour"
    )


async def check_supplement_quota(ws: Workspace, ticket: TicketView) -> None:
    await check_quota(
        ws,
        ticket,
        kinds=SUPPLEMENT_KINDS,
        limit=ws.quotas.supplements_per_hour,
        code="supplements_per_hour",
    )
