"""Staff and reporter use cases around `workflow.perform`: the checks a button needs, and the
anonymous two-way channel (question → answer), result photos and the survey comment.

`preflight` is what a card button runs before it asks for text: the same checks `perform`
makes (department, stale card, legal transition) plus who may press what — only department
members' actions, and the deciding ones (accept, assign, reject, duplicate, route) only by a
supervisor. `/queue` and `/find` read here too: which deadline counts, and the search terms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from tickets.accused import REPORTER_TEXT_KINDS, may_decide, may_handle, sees_reporter
from tickets.actors import Actor
from tickets.categories import DEFAULTS, Categories
from tickets.codes import read_code
from tickets.errors import Conflict, Forbidden, IllegalTransition, NotFound, ValidationError
from tickets.findings import Outcome
from tickets.membership import MemberView
from tickets.moderation import as_members_see
from tickets.ports import Workspace
from tickets.quotas import check_relay_quota
from tickets.sources import OFFICE
from tickets.states import PERFORMERS, Action, ActorKind, TicketState, is_open, transition
from tickets.text import clean_text
from tickets.views import HistoryEntry, TicketView
from tickets.workflow import StaffCommand, load, perform

ANSWER_MAX = 2000
RESULT_PHOTOS_MAX = 10
# Deciding what happens to a report is the supervisor's; a handler asks and resolves.
SUPERVISOR_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.ASSIGN,
        Action.REJECT,
        Action.MARK_DUPLICATE,
        Action.MERGE,
        Action.SPLIT,
        Action.ROUTE,
    }
)
DUPLICATE_HOPS = 5
# The anonymous channel with the reporter: closed to the unit the report is about.
RELAY_ACTIONS = frozenset({Action.ASK})


class MemberLookup(Protocol):
    async def get_member(self, *, member_id: int) -> MemberView | None: ...


class MemberNotifier(Protocol):
    """Sends a staff member their own copy of a card."""

    async def to_member(self, ticket: TicketView, *, user_id: int, kind: str) -> None: ...


class ReporterPhotos(Protocol):
    """Sends the photos of a resolution to the reporter (after the reply)."""

    async def result_photos(self, ticket: TicketView, *, file_ids: Sequence[str]) -> None: ...


def check_performer(actor: Actor, ticket: TicketView, action: Action) -> None:
    if ActorKind.MEMBER not in PERFORMERS.get(action, frozenset()):
        raise Forbidden("not_staff_action", action=str(action))
    if not may_handle(actor, ticket):
        raise Forbidden("not_your_department")
    if action in SUPERVISOR_ACTIONS and not may_decide(actor, ticket):
        raise Forbidden("supervisor_only")
    if action in RELAY_ACTIONS and not sees_reporter(actor, ticket):
        # The unit reported on handles the case, never talks to who reported it.
        raise Forbidden("accused_unit")
    if action in RELAY_ACTIONS and ticket.channel == OFFICE:
        # Registered from a call or a letter (`tickets.intake`): no chat to ask through.
        raise ValidationError("no_reporter_chat")


async def preflight(
    ws: Workspace, actor: Actor, *, ticket_id: int, action: Action, expected_state: str | None
) -> TicketView:
    """Refuse now what `perform` would refuse later, before asking the user for text."""
    ticket = await load(ws, ticket_id)
    check_performer(actor, ticket, action)
    if expected_state and expected_state != ticket.state:
        raise Conflict("stale_card", state=ticket.state)
    transition(TicketState(ticket.state), action)
    return ticket


async def visible_ticket(
    ws: Workspace, actor: Actor, *, ticket_id: int | None = None, code: str | None = None
) -> TicketView:
    """A ticket the actor may see in full: its department's members and administrators."""
    ticket = (
        await ws.tickets.get(ticket_id=ticket_id)
        if ticket_id is not None
        else await ws.tickets.get_by_code(code=code or "")
    )
    if ticket is None:
        raise NotFound("ticket_not_found")
    if not may_handle(actor, ticket):
        raise Forbidden("not_your_department")
    return ticket


def readable_history(
    actor: Actor, ticket: TicketView, entries: Sequence[HistoryEntry]
) -> list[HistoryEntry]:
    """The ticket's history as `actor` may read it: the unit reported on without the
    reporter's words or the questions to them; anyone but an administrator without the
    reasons of moderation before publishing (and who moderated: the supervision office)."""
    if not sees_reporter(actor, ticket):
        entries = [e for e in entries if e.kind not in REPORTER_TEXT_KINDS]
    if actor.is_admin:
        return list(entries)
    return [as_members_see(entry) for entry in entries]


async def act(ws: Workspace, actor: Actor, command: StaffCommand) -> TicketView:
    """A staff action with every check: who, which department, which state."""
    await preflight(
        ws,
        actor,
        ticket_id=command.ticket_id,
        action=command.action,
        expected_state=command.expected_state,
    )
    return await perform(ws, actor, command)


async def assign(
    ws: Workspace,
    members: MemberLookup,
    notifier: MemberNotifier,
    actor: Actor,
    *,
    ticket_id: int,
    member_id: int,
    expected_state: str | None,
) -> tuple[TicketView, MemberView]:
    """Give the ticket to an active member of its own department, who gets the card."""
    ticket = await preflight(
        ws, actor, ticket_id=ticket_id, action=Action.ASSIGN, expected_state=expected_state
    )
    member = await members.get_member(member_id=member_id)
    if member is None or member.department_id != ticket.department_id:
        raise Forbidden("member_not_in_department")
    command = StaffCommand(
        ticket_id=ticket_id,
        action=Action.ASSIGN,
        expected_state=expected_state,
        handler_member_id=member.id,
    )
    ticket = await perform(ws, actor, command)
    if member.user_id != actor.user_id:
        await notifier.to_member(ticket, user_id=member.user_id, kind="assigned")
    return ticket, member


async def mark_duplicate(
    ws: Workspace, actor: Actor, *, ticket_id: int, original_code: str, expected_state: str | None
) -> tuple[TicketView, TicketView]:
    """Link a ticket to its original (the root of a chain, so links never nest)."""
    reading = read_code(original_code)
    if reading.problem is not None:
        # Say what is wrong with the code itself, not that no such report exists.
        raise ValidationError(f"code_{reading.problem}")
    original = await ws.tickets.get_by_code(code=reading.code or "")
    for _ in range(DUPLICATE_HOPS):
        if original is None or original.duplicate_of_id is None:
            break
        original = await ws.tickets.get(ticket_id=original.duplicate_of_id)
    if original is None or original.id == ticket_id:
        raise ValidationError("duplicate_target", code=original_code.strip()[:20])
    command = StaffCommand(
        ticket_id=ticket_id,
        action=Action.MARK_DUPLICATE,
        expected_state=expected_state,
        duplicate_of_code=original.code,
    )
    return await act(ws, actor, command), original


async def resolve(
    ws: Workspace,
    photos_port: ReporterPhotos,
    actor: Actor,
    *,
    ticket_id: int,
    outcome: Outcome,
    reply: str,
    photo_file_ids: Sequence[str],
    expected_state: str | None,
) -> TicketView:
    """办结: the finding and the official reply (public, sent to the reporter with the
    finding), then any result photos."""
    if len(photo_file_ids) > RESULT_PHOTOS_MAX:
        raise ValidationError("too_many_photos", maximum=RESULT_PHOTOS_MAX)
    command = StaffCommand(
        ticket_id=ticket_id,
        action=Action.RESOLVE,
        expected_state=expected_state,
        text=reply,
        outcome=outcome,
    )
    ticket = await act(ws, actor, command)
    if photo_file_ids:
        await ws.tickets.add_event(
            ticket_id=ticket.id,
            at=ws.clock.now(),
            actor_kind=str(ActorKind.MEMBER),
            actor_id=actor.user_id,
            kind="result_photos",
            payload={"photos": list(photo_file_ids)},
        )
        await photos_port.result_photos(ticket, file_ids=photo_file_ids)
    return ticket


def clean_message(
    text: str | None, photo_file_id: str | None, *, maximum: int, code: str = "answer_length"
) -> str | None:
    cleaned = clean_text(text)
    if len(cleaned) > maximum or not (cleaned or photo_file_id):
        raise ValidationError(code, maximum=maximum)
    return cleaned or None


async def relay_to_department(
    ws: Workspace, ticket: TicketView, *, kind: str, text: str | None, photo_file_id: str | None
) -> None:
    """Record what the reporter sent as an event and pass it on; who they are never travels."""
    await ws.tickets.add_event(
        ticket_id=ticket.id,
        at=ws.clock.now(),
        actor_kind=str(ActorKind.REPORTER),
        actor_id=None,
        kind=kind,
        text=text,
        payload={"photo": photo_file_id} if photo_file_id else {},
    )
    await ws.notifier.to_department(ticket, kind=kind, text=text, photo_file_id=photo_file_id)


async def reporters_ticket(ws: Workspace, *, ticket_id: int, reporter_user_id: int) -> TicketView:
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found")
    if ticket.reporter_user_id != reporter_user_id:
        raise Forbidden("not_reporter")
    return ticket


async def check_answerable(ws: Workspace, *, ticket_id: int, reporter_user_id: int) -> TicketView:
    """The reporter may answer while the department still works on the ticket, within the
    hourly quota (checked before they type, and again when the answer arrives)."""
    ticket = await reporters_ticket(ws, ticket_id=ticket_id, reporter_user_id=reporter_user_id)
    if not is_open(TicketState(ticket.state)):
        raise IllegalTransition(ticket.state, "answer")
    await check_relay_quota(ws, ticket)
    return ticket


async def answer_question(
    ws: Workspace,
    *,
    ticket_id: int,
    reporter_user_id: int,
    text: str | None,
    photo_file_id: str | None,
) -> TicketView:
    """Relay the reporter's answer to the department; who they are never travels with it."""
    ticket = await check_answerable(ws, ticket_id=ticket_id, reporter_user_id=reporter_user_id)
    cleaned = clean_message(text, photo_file_id, maximum=ANSWER_MAX)
    await relay_to_department(ws, ticket, kind="answer", text=cleaned, photo_file_id=photo_file_id)
    return ticket


async def comment_on_survey(
    ws: Workspace, *, ticket_id: int, reporter_user_id: int, comment: str
) -> TicketView:
    """The optional words after 不满意: kept on the ticket and passed to the department."""
    ticket = await reporters_ticket(ws, ticket_id=ticket_id, reporter_user_id=reporter_user_id)
    if ticket.satisfaction != "unsatisfied" or not is_open(TicketState(ticket.state)):
        raise IllegalTransition(ticket.state, "survey_comment")
    cleaned = clean_message(comment, None, maximum=ANSWER_MAX)
    now = ws.clock.now()
    updated = await ws.tickets.update(
        ticket_id=ticket.id, changes={"survey_comment": cleaned, "updated_at": now}
    )
    await ws.tickets.add_event(
        ticket_id=ticket.id,
        at=now,
        actor_kind=str(ActorKind.REPORTER),
        actor_id=None,
        kind="survey_comment",
        text=cleaned,
    )
    await ws.notifier.to_department(updated, kind="survey_comment", text=cleaned)
    # The reopening reached the administrators before the comment existed: send it too.
    await ws.notifier.to_admins(updated, kind="survey_comment", text=cleaned)
    return updated


# -- queues and search ------------------------------------------------------------------------


def current_deadline(ticket: TicketView) -> datetime | None:
    """The deadline the department is working against now."""
    return ticket.accept_by if ticket.state == TicketState.NEW else ticket.resolve_by


@dataclass(frozen=True)
class FindQuery:
    category: str | None = None
    state: TicketState | None = None
    since: datetime | None = None  # filed at or after, UTC
    until: datetime | None = None  # filed before, UTC
    department_id: int | None = None  # within the asker's scope (the web console's filter)
    card: str | None = None  # "yellow" or "red" (the web console's filter)


DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2})?)?$")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("find_terms", term=text) from None


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def parse_find(terms: Sequence[str], tz: ZoneInfo, categories: Categories = DEFAULTS) -> FindQuery:
    """`idle`, `state=new`, `2026-11-23`, `2026-11-01..2026-11-30` (local days), in any order.

    Any known category may be searched for, a retired one too: its old tickets remain.
    """
    category: str | None = None
    state: TicketState | None = None
    since: datetime | None = None
    until: datetime | None = None
    for raw in terms:
        key, sep, value = raw.partition("=")
        term = (value if sep else raw).strip()
        if sep and key not in {"category", "state", "date"}:
            raise ValidationError("find_terms", term=raw)
        lowered = term.lower()
        if (not sep or key == "category") and categories.get(lowered) is not None:
            category = lowered
        elif (not sep or key == "state") and lowered in set(TicketState):
            state = TicketState(lowered)
        elif (not sep or key == "date") and (match := DATE_RE.match(term)):
            first = parse_date(match.group(1))
            last = parse_date(match.group(2)) if match.group(2) else None
            if ".." not in term:
                last = first
            since = local_midnight(first, tz)
            until = local_midnight(last, tz) + timedelta(days=1) if last else None
        else:
            raise ValidationError("find_terms", term=raw)
    if since is not None and until is not None and until <= since:
        raise ValidationError("find_terms", term=" ".join(terms))
    return FindQuery(category=category, state=state, since=since, until=until)


def is_empty(query: FindQuery) -> bool:
    return query == FindQuery()
