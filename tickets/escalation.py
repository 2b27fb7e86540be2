"""督办: a red card climbs from the handling department to the administrators.

At the red card the handling department's supervising office is told (its `parent`, else
the supervision office); if the ticket is still red after `step`, the office above it,
and so on for `office_levels` offices, then the administrators. A department above
nobody (the intake department without a parent) goes straight to the administrators, and
so does every red card with `office_levels` 0 (the behaviour before offices had parents).
Each step is an `escalate` follow-up planned by the one before; the level it tells is
counted from the red card's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tickets.accused import chain_above

if TYPE_CHECKING:  # the ports module imports this one
    from tickets.ports import Workspace
    from tickets.views import TicketView

RED_CARD = "red_card"  # the event `tickets.sweep.give_card` records
# A follow-up kind of its own, outside `tickets.followups.SPECS`: planned by each step of
# the climb, not by a phase (`tickets.sweep.escalate_further`).
ESCALATE = "escalate"


@dataclass(frozen=True)
class Escalation:
    """How far a red card climbs through supervising offices, and how fast."""

    office_levels: int = 1
    step: timedelta = timedelta(hours=24)


DEFAULT_ESCALATION = Escalation()


def escalation_targets(
    department_id: int, *, parents: dict[int, int | None], intake_id: int, office_levels: int
) -> list[int | None]:
    """Who is told at each level, in order: offices, then None (the administrators)."""
    offices = chain_above(department_id, parents=parents, intake_id=intake_id)
    return [*offices[:office_levels], None]


async def escalate(ws: Workspace, ticket: TicketView) -> bool:
    """Tell the level the red card has reached; plan the next step. False: nobody left.

    The level is how many steps have passed since the ticket's latest red card, so a sweep
    that runs late tells the level the ticket has reached by now, and a ticket reopened
    and carded again starts the climb afresh.
    """
    since = ticket.created_at - timedelta(seconds=1)
    reds = await ws.tickets.event_times_since(ticket_id=ticket.id, kinds=[RED_CARD], since=since)
    if not reds:
        return False
    red_at, now = max(reds), ws.clock.now()
    level = max(now - red_at, timedelta(0)) // ws.escalation.step
    targets = escalation_targets(
        ticket.department_id,
        parents=await ws.directory.department_parents(),
        intake_id=await ws.directory.intake_department_id(),
        office_levels=ws.escalation.office_levels,
    )
    if level >= len(targets):
        return False
    office = targets[level]
    if office is None:
        await ws.notifier.to_admins(ticket, kind="red_card")
        return True
    await ws.notifier.to_office(ticket, department_id=office, kind="escalated")
    due = red_at + (level + 1) * ws.escalation.step
    await ws.followups.schedule(ticket_id=ticket.id, plan=[(ESCALATE, due)])
    return True
