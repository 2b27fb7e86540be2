"""Use cases of the citizen side: submit a report, look one up.

Submission is one transaction (ticket, evidence, first event, follow-ups, alerts) and is
idempotent on the draft's `submit_key`: Confirm pressed twice, or an update delivered
twice, files one ticket.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from tickets.accused import handling_department
from tickets.categories import Categories, require_offered
from tickets.codes import new_code
from tickets.deadlines import DeadlinePolicy, compute_deadlines
from tickets.errors import RateLimited, ValidationError
from tickets.followups import plan_on_submit
from tickets.ports import Workspace
from tickets.routing import route
from tickets.sources import OFFICE
from tickets.states import TicketState
from tickets.text import clean_text, one_line
from tickets.views import NewReport, Submission

DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
PHOTOS_MAX = 10
# More hints than this make a card unreadable (and past ~110 codes, unsendable).
DUPLICATE_HINTS_MAX = 5


def validate_description(text: str) -> str:
    """Return the trimmed description, or raise with the limits the user must meet."""
    cleaned = clean_text(text)
    if not DESCRIPTION_MIN <= len(cleaned) <= DESCRIPTION_MAX:
        raise ValidationError(
            "description_length",
            minimum=DESCRIPTION_MIN,
            maximum=DESCRIPTION_MAX,
            length=len(cleaned),
        )
    return cleaned


def cleaned_draft(draft: NewReport) -> NewReport:
    """Return `draft` with its typed fields cleaned; the one-line ones flattened."""
    return dataclasses.replace(
        draft,
        description=clean_text(draft.description),
        place_text=one_line(draft.place_text) or None,
        real_name=one_line(draft.real_name) or None,
        phone=one_line(draft.phone) or None,
        reply_contact=one_line(draft.reply_contact) or None,
    )


def validate_draft(draft: NewReport, categories: Categories) -> None:
    validate_description(draft.description)
    require_offered(categories, draft.category)
    if len(draft.photos) > PHOTOS_MAX:
        raise ValidationError("too_many_photos", maximum=PHOTOS_MAX)
    if not draft.anonymous and not draft.phone:
        raise ValidationError("phone_required")


async def submit_report(ws: Workspace, draft: NewReport, *, per_hour: int) -> Submission:
    """File `draft` as a ticket routed to its department, with deadlines and alerts."""
    existing = await ws.tickets.get_by_submit_key(submit_key=draft.submit_key)
    if existing is not None:
        return Submission(ticket=existing, created=False)
    draft = cleaned_draft(draft)
    validate_draft(draft, await ws.categories.list_categories())
    now = ws.clock.now()
    # The limit keeps one citizen from flooding the queue; staff typing in the hotline's
    # calls (`tickets.intake`) are the office's own intake, not a flood.
    registered = draft.channel == OFFICE
    if not registered:
        await _within_limit(ws, draft, now=now, per_hour=per_hour)

    intake_id = await ws.directory.intake_department_id()
    routed_id = route(
        await ws.directory.routing_rules(),
        category=draft.category,
        source_tag=draft.source_tag,
        default_department_id=intake_id,
    )
    department_id = await _handling_department(ws, draft, routed_id, intake_id)
    days = await ws.directory.deadline_days(category=draft.category)
    policy = DeadlinePolicy(*days) if days else DeadlinePolicy()
    deadlines = compute_deadlines(policy, now, ws.timezone, ws.calendar)
    ticket = await ws.tickets.add(
        draft=draft,
        code=await _unused_code(ws),
        department_id=department_id,
        state=TicketState.NEW,
        accept_by=deadlines.accept_by,
        resolve_by=deadlines.resolve_by,
        now=now,
    )
    await ws.tickets.add_event(
        ticket_id=ticket.id,
        at=now,
        # Who registered a report received elsewhere is named, as staff actions are.
        actor_kind="member" if registered else "reporter",
        actor_id=draft.reporter_user_id if registered else None,
        kind="submitted",
        to_state=TicketState.NEW,
        payload={"photos": len(draft.photos), "source": ticket.intake_source},
    )
    hints = await ws.tickets.similar_photo_codes(
        phashes=[p.phash for p in draft.photos if p.phash], like=ticket, limit=DUPLICATE_HINTS_MAX
    )
    await ws.followups.schedule(ticket_id=ticket.id, plan=plan_on_submit(now, deadlines))
    await ws.notifier.ticket_filed(ticket, duplicate_hints=hints)
    return Submission(ticket=ticket, created=True, duplicate_hints=tuple(hints))


async def _within_limit(ws: Workspace, draft: NewReport, *, now: datetime, per_hour: int) -> None:
    recent = await ws.tickets.count_submitted_since(
        reporter_user_id=draft.reporter_user_id, since=now - timedelta(hours=1)
    )
    if recent >= per_hour:
        raise RateLimited("reports_per_hour", limit=per_hour)


async def _handling_department(
    ws: Workspace, draft: NewReport, routed_id: int, intake_id: int
) -> int:
    """Where routing put it, unless that leaves the report to the unit it is about."""
    if draft.accused_department_id is None:
        return routed_id
    unit = await ws.directory.get_department(department_id=draft.accused_department_id)
    if unit is None or unit.archived:
        raise ValidationError("unknown_unit")
    return handling_department(
        routed_id=routed_id,
        accused_id=unit.id,
        parents=await ws.directory.department_parents(),
        intake_id=intake_id,
    )


async def _unused_code(ws: Workspace) -> str:
    # 40 random bits make a clash vanishingly rare; checking keeps it impossible.
    while True:
        code = new_code()
        if await ws.tickets.get_by_code(code=code) is None:
            return code
