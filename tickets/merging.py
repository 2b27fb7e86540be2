"""Staff merge and split (合并 / 拆分): one case reported twice is handled once.

`merge` closes a ticket as a duplicate of another open one (the target) and makes the
citizens it speaks for — its reporter and its supporters (`tickets.supporters`) — supporters
of the target: from then on they hear the target's updates and official reply and answer
a survey of their own, never told its tracking code. A supervisor who may decide on both
tickets merges; never a ticket into itself, into one no longer open, into one that is
itself merged, nor a ticket others were merged into (links never chain). The target's
reporter is never made a supporter of their own case, and whoever already supports it
stays as they are. The merged ticket keeps its evidence; the target's history names its
code, so the target's staff can open it.

`split` undoes the latest merge of a ticket: it returns to the state it had before, its
deadlines as they were (their follow-ups planned again), and the supporter rows the merge
added to the target are deleted (the event recorded which). Reporters hear of both through
the outbox, never of each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickets.accused import may_decide
from tickets.actors import Actor
from tickets.casework import check_performer, preflight
from tickets.codes import read_code
from tickets.errors import Conflict, Forbidden, NotFound, ValidationError
from tickets.ports import UpdateWorkspace
from tickets.states import Action, ActorKind, TicketState, is_open, transition
from tickets.views import TicketView
from tickets.workflow import apply

# The events on the target: which ticket came in (or went out again), by its code.
MERGED_IN = "merged_in"
SPLIT_OUT = "split_out"


def target_code(text: str) -> str:
    """The typed tracking code, read; what is wrong with it said as such."""
    reading = read_code(text)
    if reading.problem is not None or reading.code is None:
        raise ValidationError(f"code_{reading.problem}")
    return reading.code


async def merge(
    ws: UpdateWorkspace,
    actor: Actor,
    *,
    ticket_id: int,
    into_code: str,
    expected_state: str | None,
) -> tuple[TicketView, TicketView]:
    """Close the ticket as a duplicate of `into_code`, its people following that case."""
    ticket = await preflight(
        ws, actor, ticket_id=ticket_id, action=Action.MERGE, expected_state=expected_state
    )
    code = target_code(into_code)
    target = await ws.tickets.get_by_code(code=code)
    # A wrong target is a typo to correct, not a right exceeded: the step asks again.
    if target is None:
        raise ValidationError("merge_target", code=code)
    if target.id == ticket.id:
        raise ValidationError("merge_into_itself", code=code)
    if not may_decide(actor, target):
        raise Forbidden("merge_target_department", code=code)
    if target.duplicate_of_id is not None:
        raise ValidationError("merge_chain", code=code)
    if not is_open(TicketState(target.state)):
        raise ValidationError("merge_target_closed", code=code, state=target.state)
    if (await ws.cases.card_context(ticket)).duplicates:
        raise Conflict("merge_has_linked", code=ticket.code)
    now = ws.clock.now()
    theirs = set(await ws.supporters.people(ticket_id=target.id))
    joining = [p for p in await ws.supporters.people(ticket_id=ticket.id) if p not in theirs]
    added = await ws.supporters.add_people(ticket_id=target.id, reporter_ids=joining, now=now)
    changes: dict[str, Any] = {"duplicate_of_id": target.id, "closed_at": now}
    merged = await apply(
        ws,
        ticket,
        transition(TicketState(ticket.state), Action.MERGE),
        changes,
        actor_kind=ActorKind.MEMBER,
        actor_id=actor.user_id,
        kind=str(Action.MERGE),
        text=None,
        payload={"into": target.code, "target_id": target.id, "supporters": added},
    )
    await tell_target(ws, actor, ticket, target, MERGED_IN, len(added), now)
    await ws.notifier.to_reporter(merged, kind="merged")
    await ws.notifier.to_reporter(target, kind="joined")
    return merged, target


async def split(ws: UpdateWorkspace, actor: Actor, *, code: str) -> tuple[TicketView, TicketView]:
    """Undo the ticket's merge: back to its state before, its people off the target."""
    ticket = await ws.tickets.get_by_code(code=target_code(code))
    if ticket is None:
        raise NotFound("ticket_not_found")
    check_performer(actor, ticket, Action.SPLIT)
    record = await ws.supporters.last_merge(ticket_id=ticket.id)
    if (
        record is None
        or ticket.state != TicketState.DUPLICATE
        or ticket.duplicate_of_id != record.target_id
    ):
        raise ValidationError("not_merged", code=ticket.code)
    target = await ws.tickets.get(ticket_id=record.target_id)
    if target is None:
        raise NotFound("ticket_not_found")
    if not may_decide(actor, target):
        raise Forbidden("merge_target_department", code=target.code)
    now = ws.clock.now()
    removed = await ws.supporters.remove(ticket_id=target.id, supporter_ids=record.supporter_ids)
    restored = await apply(
        ws,
        ticket,
        TicketState(record.from_state),
        {"duplicate_of_id": None, "closed_at": None},
        actor_kind=ActorKind.MEMBER,
        actor_id=actor.user_id,
        kind=str(Action.SPLIT),
        text=None,
        payload={"from": target.code, "people": removed},
    )
    await tell_target(ws, actor, ticket, target, SPLIT_OUT, removed, now)
    await ws.notifier.to_reporter(restored, kind="split")
    return restored, target


async def tell_target(
    ws: UpdateWorkspace,
    actor: Actor,
    ticket: TicketView,
    target: TicketView,
    kind: str,
    people: int,
    now: datetime,
) -> None:
    """Note on the target what the merge or split of `ticket` did to it, and redraw its cards."""
    await ws.tickets.add_event(
        ticket_id=target.id,
        at=now,
        actor_kind=str(ActorKind.MEMBER),
        actor_id=actor.user_id,
        kind=kind,
        text=ticket.code,
        payload={"code": ticket.code, "people": people},
    )
    await ws.notifier.ticket_changed(target, kind=kind)
