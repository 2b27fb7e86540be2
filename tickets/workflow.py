"""Use cases that move a ticket: staff actions, the reporter's survey, the system's clock.

Each runs in the caller's unit of work and writes, together: the new state, an
append-only event, the follow-ups it cancels and plans, and the notifications it causes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tickets.accused import may_handle
from tickets.actors import Actor
from tickets.deadlines import DeadlinePolicy, Deadlines, resolve_deadline
from tickets.errors import Conflict, Forbidden, NotFound, ValidationError
from tickets.findings import Outcome
from tickets.followups import FollowUpSettings, plan_transition
from tickets.membership import require_active
from tickets.ports import Workspace
from tickets.sources import OFFICE
from tickets.states import PERFORMERS, Action, ActorKind, TicketState, transition
from tickets.text import clean_text
from tickets.views import TicketView

TEXT_MAX = 2000
# Actions whose text is mandatory: a reason, a question, an official reply.
NEEDS_TEXT = {Action.REJECT, Action.ASK, Action.RESOLVE}
# What the reporter is told after each staff action (the survey comes with "resolved").
REPORTER_NOTICE = {
    Action.ACCEPT: "accepted",
    Action.REJECT: "rejected",
    Action.RESOLVE: "resolved",
    Action.MARK_DUPLICATE: "duplicate",
    Action.ASK: "question",
}
RATINGS = ("satisfied", "fair", "unsatisfied")


@dataclass(frozen=True)
class StaffCommand:
    """One button press (plus any text it asked for) by a department member."""

    ticket_id: int
    action: Action
    expected_state: str | None = None
    text: str | None = None
    duplicate_of_code: str | None = None
    handler_member_id: int | None = None
    target_department_id: int | None = None
    # Resolving only: the finding, checked by `tickets.findings.outcome`.
    outcome: Outcome | None = None


async def load(ws: Workspace, ticket_id: int) -> TicketView:
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket


def action_text(action: Action, text: str | None) -> str | None:
    cleaned = clean_text(text)
    if action in NEEDS_TEXT and not cleaned:
        raise ValidationError("text_required", action=str(action))
    if len(cleaned) > TEXT_MAX:
        raise ValidationError("text_too_long", maximum=TEXT_MAX)
    return cleaned or None


async def perform(ws: Workspace, actor: Actor, command: StaffCommand) -> TicketView:
    """Apply a staff action after checking who asks and that the card is current."""
    action = Action(command.action)
    if ActorKind.MEMBER not in PERFORMERS[action]:
        raise Forbidden("not_a_staff_action")
    command = replace(command, action=action)
    ticket = await load(ws, command.ticket_id)
    if not may_handle(actor, ticket):
        raise Forbidden("not_your_department")
    if command.expected_state and command.expected_state != ticket.state:
        raise Conflict("stale_card", state=ticket.state)
    text = action_text(command.action, command.text)
    new_state = transition(TicketState(ticket.state), command.action)
    resolving = command.action is Action.RESOLVE
    if resolving and command.outcome is None:
        raise ValidationError("finding_required")
    now = ws.clock.now()
    changes = await staff_changes(ws, ticket, command, text, now)
    updated = await apply(
        ws,
        ticket,
        new_state,
        changes,
        actor_kind=ActorKind.MEMBER,
        actor_id=actor.user_id,
        kind=str(command.action),
        text=text,
        payload=command.outcome.payload() if resolving and command.outcome else None,
    )
    if command.action is Action.ROUTE:
        # 转办: the new department gets the full alert, as if the report had landed there;
        # `ticket_changed` (in `apply`) already took the card back from the old one's chats.
        await ws.notifier.ticket_filed(updated, duplicate_hints=())
    notice = REPORTER_NOTICE.get(command.action)
    if notice is not None:
        await ws.notifier.to_reporter(updated, kind=notice, text=notice_text(command, text))
    return updated


def notice_text(command: StaffCommand, text: str | None) -> str | None:
    return command.duplicate_of_code if command.action is Action.MARK_DUPLICATE else text


async def staff_changes(
    ws: Workspace, ticket: TicketView, command: StaffCommand, text: str | None, now: datetime
) -> dict[str, Any]:
    action = command.action
    changes: dict[str, Any] = {}
    if action is Action.ACCEPT and ticket.accepted_at is None:
        changes["accepted_at"] = now
    elif action is Action.REJECT:
        changes["reject_reason"] = text
        changes["closed_at"] = now
    elif action is Action.RESOLVE:
        assert command.outcome is not None  # `perform` refused a resolution without one
        changes["public_reply"] = text
        changes["resolved_at"] = now
        changes.update(command.outcome.changes())
    elif action is Action.ASSIGN:
        changes["handler_member_id"] = command.handler_member_id
    elif action is Action.ROUTE:
        target = command.target_department_id
        if target is None or target == ticket.department_id:
            raise ValidationError("route_target")
        department = await ws.directory.get_department(department_id=target)
        if department is None:
            raise NotFound("department_not_found")
        # The buttons never offer an archived one: only forged callback data gets here.
        require_active(department)
        changes["department_id"] = target
    elif action is Action.MARK_DUPLICATE:
        original = await ws.tickets.get_by_code(code=command.duplicate_of_code or "")
        if original is None or original.id == ticket.id:
            raise ValidationError("duplicate_target", code=command.duplicate_of_code or "")
        changes["duplicate_of_id"] = original.id
        changes["closed_at"] = now
    return changes


async def apply(
    ws: Workspace,
    ticket: TicketView,
    new_state: TicketState,
    changes: dict[str, Any],
    *,
    actor_kind: ActorKind,
    actor_id: int | None,
    kind: str,
    text: str | None,
    payload: dict[str, Any] | None = None,
) -> TicketView:
    """Write the state, the event, the follow-up plan and refresh the cards."""
    now = ws.clock.now()
    deadlines = await deadlines_for(ws, ticket, new_state, now)
    if deadlines is not None and new_state is TicketState.REOPENED:
        changes["resolve_by"] = deadlines.resolve_by
        # The cards were about the old deadline: the new one starts clean, so its own
        # yellow card is not swallowed by a red one that is no longer true.
        changes["card"] = "none"
    plan = plan_transition(
        TicketState(ticket.state),
        new_state,
        now=now,
        deadlines=deadlines,
        settings=FollowUpSettings(auto_close_after=ws.survey_window),
    )
    if new_state != ticket.state:
        changes["state"] = new_state
        if plan.cancel:
            await ws.followups.cancel(
                ticket_id=ticket.id, at=now, kinds=[str(k) for k in plan.cancel]
            )
        await ws.followups.schedule(
            ticket_id=ticket.id, plan=[(str(f.kind), f.due_at) for f in plan.schedule]
        )
    updated = await ws.tickets.update(ticket_id=ticket.id, changes={**changes, "updated_at": now})
    await ws.tickets.add_event(
        ticket_id=ticket.id,
        at=now,
        actor_kind=str(actor_kind),
        actor_id=actor_id,
        kind=kind,
        from_state=ticket.state,
        to_state=str(new_state),
        text=text,
        payload=payload,
    )
    await ws.notifier.ticket_changed(updated, kind=kind, text=text)
    return updated


async def deadlines_for(
    ws: Workspace, ticket: TicketView, new_state: TicketState, now: datetime
) -> Deadlines | None:
    """Deadlines for planning: the ticket's own, or a fresh resolve one when reopened."""
    if ticket.accept_by is None or ticket.resolve_by is None:
        return None
    days = await ws.directory.deadline_days(category=ticket.category)
    policy = DeadlinePolicy(*days) if days else DeadlinePolicy()
    resolve_by = ticket.resolve_by
    if new_state is TicketState.REOPENED:
        resolve_by = resolve_deadline(policy, now, ws.timezone, ws.calendar)
    return Deadlines(
        ticket.accept_by, resolve_by, policy.grace_days, ws.timezone, calendar=ws.calendar
    )


async def rate(
    ws: Workspace, *, ticket_id: int, reporter_user_id: int, rating: str, comment: str | None
) -> TicketView:
    """The reporter's survey answer: satisfied/fair close the ticket, unsatisfied reopens."""
    ticket = await load(ws, ticket_id)
    if ticket.reporter_user_id != reporter_user_id:
        raise Forbidden()
    if rating not in RATINGS:
        raise ValidationError("rating")
    if ticket.state != TicketState.RESOLVED:
        raise Conflict("survey_answered")
    action = Action.REOPEN if rating == "unsatisfied" else Action.CLOSE
    new_state = transition(TicketState(ticket.state), action)
    now = ws.clock.now()
    changes: dict[str, Any] = {"satisfaction": rating, "survey_comment": comment}
    if new_state is TicketState.CLOSED:
        changes["closed_at"] = now
    updated = await apply(
        ws,
        ticket,
        new_state,
        changes,
        actor_kind=ActorKind.REPORTER,
        actor_id=None,
        kind="reopened" if action is Action.REOPEN else "rated",
        text=comment,
    )
    if action is Action.REOPEN:
        await ws.notifier.to_department(updated, kind="reopened", text=comment)
        await ws.notifier.to_admins(updated, kind="reopened", text=comment)
        # The reporter is answered directly by the survey button: no second message.
    return updated


async def auto_close(ws: Workspace, *, ticket_id: int) -> TicketView | None:
    """No survey answer in time: close as "default satisfied", recorded as such."""
    ticket = await load(ws, ticket_id)
    if ticket.state != TicketState.RESOLVED:
        return None
    new_state = transition(TicketState(ticket.state), Action.AUTO_CLOSE)
    changes: dict[str, Any] = {"closed_at": ws.clock.now()}
    if ticket.channel != OFFICE:
        # A report staff registered had nobody to survey: no rating, not even a default one.
        changes.update(satisfaction="satisfied", satisfaction_default=True)
    closed = await apply(
        ws,
        ticket,
        new_state,
        changes,
        actor_kind=ActorKind.SYSTEM,
        actor_id=None,
        kind="auto_closed",
        text=None,
    )
    await ws.notifier.to_reporter(closed, kind="closed")
    return closed
