"""Casework pages: the ticket list with filters, a ticket's page, and its actions.

The actions are the chat card's, through the same use cases (`tickets.casework`) and so
the same checks (department, role, state, the state the page was drawn for); their
notifications and the chat cards' updates go through the outbox as a button press's do.
What is shown of a reporter: "anonymous" or "real name", never who (names and phones stay
behind the chat's audited 🔐 button).

The resolve, reject and ask forms offer the reply templates the chat's prompts offer
(`tickets.reply_templates.offered`, a resolution's per finding), filled from the ticket by
the chat's code (`ui.reply_templates.filled`). A template's link (`?form=…&template=…`, and
`finding=` for a resolution) redraws the page with the form filled in, so it works without
JavaScript; a few lines of script fill it in place instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from console.backend import Staff, backend_of, render, see_other
from tickets.casework import (
    FindQuery,
    act,
    assign,
    check_performer,
    local_midnight,
    readable_history,
    resolve,
    visible_ticket,
)
from tickets.codes import read_code
from tickets.errors import DomainError, Forbidden, ValidationError
from tickets.findings import Finding, Sanction, outcome
from tickets.ports import UpdateWorkspace
from tickets.reply_templates import Purpose, offered
from tickets.states import Action, TicketState, transition
from tickets.views import HistoryEntry, TicketView
from tickets.workflow import StaffCommand
from ui.categories import current_categories
from ui.categories import label as category_name
from ui.errors_text import code_problem_text
from ui.keyboards import action_label
from ui.render import (
    actor_label,
    card_label,
    event_label,
    finding_label,
    local_time,
    sanction_label,
    state_label,
)
from ui.reply_templates import filled

Page = Callable[[web.Request, UpdateWorkspace, Staff], Awaitable[web.StreamResponse]]
PageDecorator = Callable[..., Callable[[Page], Callable[[web.Request], Awaitable[Any]]]]
# What the console offers; routing and duplicates stay in the chat for now.
CONSOLE_ACTIONS = (Action.ACCEPT, Action.ASSIGN, Action.ASK, Action.REJECT, Action.RESOLVE)
RELAY_KINDS = frozenset({"ask", "answer"})
MAX_PHOTOS = 20
# The forms a reply template can fill, and what a template is for there.
TEMPLATE_FORMS = {
    Action.ASK: Purpose.ASK,
    Action.REJECT: Purpose.REJECT,
    Action.RESOLVE: Purpose.RESOLVE,
}


@dataclass(frozen=True)
class Filters:
    """The list's filters as the form sent them (strings, kept to redraw the form)."""

    department: str = ""
    state: str = ""
    card: str = ""
    category: str = ""
    since: str = ""
    until: str = ""

    def query(self, tz: ZoneInfo) -> FindQuery:
        """The search (local days, the last one included)."""
        since = local_midnight(parse_day(self.since), tz) if self.since else None
        until = None
        if self.until:
            until = local_midnight(parse_day(self.until), tz) + timedelta(days=1)
        return FindQuery(
            category=self.category if current_categories().get(self.category) else None,
            state=TicketState(self.state) if self.state in set(TicketState) else None,
            since=since,
            until=until,
            department_id=int(self.department) if self.department.isdigit() else None,
            card=self.card if self.card in ("yellow", "red") else None,
        )


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("find_terms", term=text[:20]) from None


def scope(staff: Staff) -> frozenset[int] | None:
    """Administrators see every department; members their own ones."""
    return None if staff.actor.is_admin else staff.actor.department_ids()


def labels() -> dict[str, Callable[..., str]]:
    return {
        "state_label": state_label,
        "category_label": category_name,  # plain: the templates escape
        "card_label": card_label,
        "event_label": event_label,
        "actor_label": actor_label,
        "finding_label": finding_label,
        "sanction_label": sanction_label,
        "action_label": action_label,
    }


# -- the list ----------------------------------------------------------------------------------


async def ticket_list(
    request: web.Request, ws: UpdateWorkspace, staff: Staff
) -> web.StreamResponse:
    tz = backend_of(request).settings.tz
    filters = Filters(**{f.name: request.query.get(f.name, "").strip() for f in fields(Filters)})
    code_text = request.query.get("code", "").strip()
    problem = None
    tickets: list[TicketView] = []
    total = 0
    if code_text:
        reading = read_code(code_text)
        if reading.code is not None:
            return see_other(f"/console/t/{reading.code}")
        problem = code_problem_text(reading)
    else:
        query = filters.query(tz)
        allowed = scope(staff)
        wanted = query.department_id
        if wanted is not None and allowed is not None and wanted not in allowed:
            raise Forbidden("not_your_department")
        tickets, total = await ws.cases.find(department_ids=allowed, query=query)
    departments = [
        d
        for d in await ws.directory.list_departments()
        if staff.actor.is_admin or d.id in staff.actor.department_ids()
    ]
    context = {
        "tickets": tickets,
        "total": total,
        "filters": filters,
        "code": code_text,
        "problem": problem,
        "departments": departments,
        "states": list(TicketState),
        "categories": list(current_categories()),
        "local_time": lambda moment: local_time(moment, tz),
        **labels(),
    }
    return render(request, "list.html", context)


# -- one ticket --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateOffer:
    """A template offered under a form: its text filled from the ticket, for one finding."""

    id: int
    title: str
    text: str
    finding: str = ""  # a resolution's finding the text was filled for; "" for the others


# Per form, the offers grouped by finding: (finding or "", offers).
Offers = dict[str, list[tuple[str, list[TemplateOffer]]]]


async def template_offers(
    ws: UpdateWorkspace, ticket: TicketView, actions: list[Action], tz: ZoneInfo
) -> Offers:
    """The templates each form the member may use offers, as the chat's prompts would: a
    resolution's once per finding, since the chat offers them after the finding is chosen."""
    forms = [a for a in TEMPLATE_FORMS if a in actions]
    if not forms:
        return {}
    stored = await ws.templates.list_templates()
    offers: Offers = {}
    for action in forms:
        purpose = TEMPLATE_FORMS[action]
        findings = [f.value for f in Finding] if purpose is Purpose.RESOLVE else [None]
        groups = []
        for finding in findings:
            fitting = offered(stored, purpose=purpose, category=ticket.category, finding=finding)
            choices = [
                TemplateOffer(t.id, t.title, filled(t, ticket, tz, finding=finding), finding or "")
                for t in fitting
            ]
            if choices:
                groups.append((finding or "", choices))
        if groups:
            offers[str(action)] = groups
    return offers


def chosen_offer(query: Mapping[str, str], offers: Offers) -> TemplateOffer | None:
    """The offer the page was asked to fill its form with, if it is one of `offers`."""
    form = query.get("form", "")
    finding = query.get("finding", "") if form == Action.RESOLVE else ""
    wanted = query.get("template", "").strip()
    for group, choices in offers.get(form, []):
        if group == finding:
            return next((c for c in choices if str(c.id) == wanted), None)
    return None


def offered_actions(staff: Staff, ticket: TicketView) -> list[Action]:
    """The card's actions this member may take on the ticket in its state now."""
    allowed = []
    for action in CONSOLE_ACTIONS:
        try:
            check_performer(staff.actor, ticket, action)
            transition(TicketState(ticket.state), action)
        except DomainError:
            continue
        allowed.append(action)
    return allowed


async def ticket_page(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    ticket = await visible_ticket(ws, staff.actor, code=request.match_info["code"])
    # The chat's rule: the unit reported on never reads the reporter's words, and only
    # administrators read why a publication was moderated.
    entries = readable_history(staff.actor, ticket, await ws.cases.history(ticket_id=ticket.id))
    photos = await ws.console.evidence(ticket_id=ticket.id)
    actions = offered_actions(staff, ticket)
    members = (
        await ws.directory.list_members(department_id=ticket.department_id)
        if Action.ASSIGN in actions
        else []
    )
    tz = backend_of(request).settings.tz
    offers = await template_offers(ws, ticket, actions, tz)
    # An unknown template, or one this form does not offer, leaves the form as it was.
    prefill = chosen_offer(request.query, offers) if "template" in request.query else None
    context = {
        "ticket": ticket,
        "entries": entries,
        "relay": [e for e in entries if e.kind in RELAY_KINDS],
        "photos": range(1, min(len(photos), MAX_PHOTOS) + 1),
        "actions": [str(a) for a in actions],
        "members": members,
        "supporters": await ws.supporters.count(ticket_id=ticket.id),
        "findings": list(Finding),
        "sanctions": list(Sanction),
        "done": request.query.get("done", ""),
        "offers": offers,
        "prefill": prefill,
        "prefill_form": request.query.get("form", "") if prefill else "",
        "template_refused": "template" in request.query and prefill is None,
        "local_time": lambda moment: local_time(moment, tz),
        "entry_line": entry_line,
        **labels(),
    }
    return render(request, "ticket.html", context)


def entry_line(entry: HistoryEntry) -> str:
    line = f"{event_label(entry.kind)} — {actor_label(entry.actor_kind, entry.actor_name)}"
    if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
        line += f" ({state_label(entry.from_state)} → {state_label(entry.to_state)})"
    return line


async def photo(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    ticket = await visible_ticket(ws, staff.actor, code=request.match_info["code"])
    photos = await ws.console.evidence(ticket_id=ticket.id)
    number = int(request.match_info["number"])
    if not 1 <= number <= len(photos):
        raise web.HTTPNotFound()
    data = await ws.console.photo(sha256=photos[number - 1])
    return web.Response(body=data, content_type="image/jpeg")


async def ticket_action(
    request: web.Request, ws: UpdateWorkspace, staff: Staff
) -> web.StreamResponse:
    ticket = await visible_ticket(ws, staff.actor, code=request.match_info["code"])
    form = await request.post()
    action = str(form.get("action", ""))
    expected = str(form.get("state", "")) or None
    text = str(form.get("text", ""))
    actor = staff.actor
    if action == Action.ACCEPT:
        await act(ws, actor, StaffCommand(ticket.id, Action.ACCEPT, expected_state=expected))
    elif action == Action.ASSIGN:
        member = str(form.get("member_id", ""))
        if not member.isdigit():
            raise ValidationError("member_not_in_department")
        await assign(
            ws,
            ws.directory,
            ws.notifier,
            actor,
            ticket_id=ticket.id,
            member_id=int(member),
            expected_state=expected,
        )
    elif action in (Action.ASK, Action.REJECT):
        command = StaffCommand(ticket.id, Action(action), expected_state=expected, text=text)
        await act(ws, actor, command)
    elif action == Action.RESOLVE:
        finding = str(form.get("finding", ""))
        sanctions = [str(s) for s in form.getall("sanction", [])]
        people = str(form.get("people", "")).strip() or None
        await resolve(
            ws,
            ws.notifier,
            actor,
            ticket_id=ticket.id,
            outcome=outcome(finding, sanctions, people),
            reply=text,
            photo_file_ids=(),
            expected_state=expected,
        )
    else:
        raise ValidationError("not_staff_action", action=action[:16])
    return see_other(f"/console/t/{ticket.code}?done={action}")


def add_routes(app: web.Application, page: PageDecorator) -> None:
    app.router.add_get("/", page()(ticket_list))
    app.router.add_get("/t/{code}", page()(ticket_page))
    app.router.add_get(r"/t/{code}/photo/{number:\d+}", page()(photo))
    app.router.add_post("/t/{code}/act", page(post=True)(ticket_action))
