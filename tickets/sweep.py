"""What a due follow-up does: remind, show a yellow or red card, escalate, survey, close.

A red card's escalation climbs through supervising offices (`tickets.escalation`).

The scheduler finds due rows and calls `run_follow_up` once per row, each in its own
transaction; a follow-up whose ticket has moved on does nothing (transitions cancel the
rows they make moot, this is the second line of defence). A reminder that comes due only
after its deadline (the sweep ran late) is skipped and recorded so, never sent after the
yellow card.
"""

from __future__ import annotations

from enum import StrEnum

from tickets.escalation import ESCALATE, escalate
from tickets.followups import FollowUpKind, Phase, is_stale_reminder
from tickets.ports import Workspace
from tickets.sources import OFFICE
from tickets.states import ActorKind, TicketState
from tickets.workflow import auto_close, load

_K = FollowUpKind
REMINDERS = {
    _K.REMIND_ACCEPT_50: ("accept", 50),
    _K.REMIND_ACCEPT_80: ("accept", 80),
    _K.REMIND_RESOLVE_50: ("resolve", 50),
    _K.REMIND_RESOLVE_80: ("resolve", 80),
}
YELLOW = {_K.YELLOW_ACCEPT: Phase.ACCEPT, _K.YELLOW_RESOLVE: Phase.RESOLVE}
RED = {_K.RED_ACCEPT: Phase.ACCEPT, _K.RED_RESOLVE: Phase.RESOLVE}
# A follow-up only applies while the ticket is in one of these states.
LIVE_STATES = {
    Phase.ACCEPT: {TicketState.NEW},
    Phase.RESOLVE: {
        TicketState.NEW,
        TicketState.ACCEPTED,
        TicketState.IN_PROGRESS,
        TicketState.REOPENED,
    },
}


class Outcome(StrEnum):
    """What a due follow-up came to."""

    ACTED = "acted"
    MOOT = "moot"  # the ticket moved on
    SKIPPED = "skipped"  # a reminder come due only after its deadline


def _acted(done: bool) -> Outcome:
    return Outcome.ACTED if done else Outcome.MOOT


async def run_follow_up(ws: Workspace, *, ticket_id: int, kind: str) -> Outcome:
    """Carry out one follow-up and say what it came to."""
    if kind == ESCALATE:
        return await escalate_further(ws, ticket_id)
    follow_up = FollowUpKind(kind)
    ticket = await load(ws, ticket_id)
    state = TicketState(ticket.state)
    if follow_up in REMINDERS:
        phase_name, percent = REMINDERS[follow_up]
        if state not in LIVE_STATES[Phase(phase_name)]:
            return Outcome.MOOT
        now = ws.clock.now()
        if is_stale_reminder(
            follow_up, now=now, accept_by=ticket.accept_by, resolve_by=ticket.resolve_by
        ):
            return Outcome.SKIPPED
        await ws.notifier.to_department(ticket, kind=f"remind_{phase_name}", text=str(percent))
        return Outcome.ACTED
    if follow_up in YELLOW:
        return _acted(await give_card(ws, ticket_id, "yellow", YELLOW[follow_up]))
    if follow_up in RED:
        return _acted(await give_card(ws, ticket_id, "red", RED[follow_up]))
    if follow_up is _K.SURVEY:
        if state is not TicketState.RESOLVED or ticket.channel == OFFICE:
            return Outcome.MOOT  # a report staff registered has nobody to survey
        await ws.notifier.to_reporter(ticket, kind="survey")
        return Outcome.ACTED
    return _acted(await auto_close(ws, ticket_id=ticket_id) is not None)


async def escalate_further(ws: Workspace, ticket_id: int) -> Outcome:
    """The next step of a red card's climb, planned by the last one (not by a phase): moot
    once the card is gone or the ticket is resolved or closed."""
    ticket = await load(ws, ticket_id)
    if TicketState(ticket.state) not in LIVE_STATES[Phase.RESOLVE] or ticket.card != "red":
        return Outcome.MOOT
    return _acted(await escalate(ws, ticket))


async def give_card(ws: Workspace, ticket_id: int, card: str, phase: Phase) -> bool:
    """Yellow at the deadline; red (and escalation) after the grace period."""
    ticket = await load(ws, ticket_id)
    if TicketState(ticket.state) not in LIVE_STATES[phase]:
        return False
    if card == "yellow" and ticket.card == "red":
        return False
    now = ws.clock.now()
    updated = await ws.tickets.update(ticket_id=ticket.id, changes={"card": card})
    await ws.tickets.add_event(
        ticket_id=ticket.id,
        at=now,
        actor_kind=str(ActorKind.SYSTEM),
        actor_id=None,
        kind=f"{card}_card",
        payload={"phase": str(phase)},
    )
    await ws.notifier.ticket_changed(updated, kind=f"{card}_card")
    await ws.notifier.to_department(updated, kind=f"{card}_card", text=str(phase))
    if card == "red":
        await escalate(ws, updated)
        await ws.notifier.to_reporter(updated, kind="overdue")
    return True
