"""Settings: the deadline days per category that `/deadline` sets in the chat, and the
holidays and make-up working days the deadlines are counted on: the packaged schedule,
HOLIDAYS_FILE over it, and the dates administrators add here over both
(`tickets.holiday_admin`). Each change is audited; deadlines already set never move."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from config.logs import user_hash
from console.backend import Staff, backend_of
from console.casework import PageDecorator
from console.changes import audited, done, settings_page
from tickets.changes import Change
from tickets.deadlines import ACCEPT_DAYS_MAX, RESOLVE_DAYS_MAX, DeadlineDays, DeadlinePolicy
from tickets.errors import ValidationError
from tickets.holiday_admin import add_calendar_days, remove_calendar_day
from tickets.holidays import MAX_RANGE_DAYS, NAME_MAX
from tickets.periods import today
from tickets.ports import UpdateWorkspace
from ui.categories import current_categories
from ui.render import category_label, local_time

HOME = "/console/config/deadlines"
DAY = r"{day:\d{4}-\d{2}-\d{2}}"


async def deadlines(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    overrides = await ws.directory.list_deadline_days()
    default = DeadlinePolicy()
    rows = [
        (c, *overrides.get(c, (default.accept_days, default.resolve_days)), c in overrides)
        for c in offered_slugs()
    ]
    tz = backend_of(request).settings.tz
    context = {
        "rows": rows,
        "default": default,
        "accept_max": ACCEPT_DAYS_MAX,
        "resolve_max": RESOLVE_DAYS_MAX,
        "category_label": category_label,
        "local_time": lambda moment: local_time(moment, tz),
        "special_days": ws.calendar.special_days(today(ws.clock, tz)),
        "console_days": await ws.calendar_days.list_days(),
        "range_max": MAX_RANGE_DAYS,
        "name_max": NAME_MAX,
    }
    return settings_page(request, "config_deadlines.html", context)


def whole(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


async def change(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    typed = str(form.get("category", "")).strip().lower()
    category = typed if typed in offered_slugs() else None
    days = DeadlineDays.checked(
        whole(str(form.get("accept", ""))), whole(str(form.get("resolve", "")))
    )
    if category is None:
        raise ValidationError("unknown_category", category="")
    if days is None:
        raise ValidationError("deadline_days", accept=ACCEPT_DAYS_MAX, resolve=RESOLVE_DAYS_MAX)
    # The chat's `/deadline` writes the same row through the same port.
    await ws.directory.set_deadline_days(
        category=category, accept_days=days.accept_days, resolve_days=days.resolve_days
    )
    detail = f"{category} {days.accept_days}/{days.resolve_days}"
    await audited(ws, staff, Change.DEADLINE, detail)
    message = _(
        "{category}: accept within {accept} and resolve within {resolve} working days, "
        "for reports filed from now on."
    ).format(category=category_label(category), accept=days.accept_days, resolve=days.resolve_days)
    return done(request, HOME, message)


async def add_days(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    working = str(form.get("kind", "")) == "workday"
    added = await add_calendar_days(
        ws.calendar_days,
        staff.actor,
        first=str(form.get("date", "")),
        until=str(form.get("until", "")),
        name=str(form.get("name", "")),
        working=working,
        added_by=user_hash(staff.actor.user_id),
        at=ws.clock.now(),
    )
    span = added[0].day.isoformat()
    if len(added) > 1:
        span = f"{span}..{added[-1].day.isoformat()}"
    kind = "workday" if working else "holiday"
    await audited(ws, staff, Change.CALENDAR_DAY_ADD, f"{kind} {span} {added[0].name}")
    message = (
        _("{days}: make-up working day {name} added; deadlines set from now on count it.")
        if working
        else _("{days}: holiday {name} added; deadlines set from now on skip it.")
    )
    return done(request, HOME, message.format(days=span, name=added[0].name))


async def remove_day(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    day = request.match_info["day"]
    removed = await remove_calendar_day(ws.calendar_days, staff.actor, day=day)
    day = removed.day.isoformat()
    await audited(ws, staff, Change.CALENDAR_DAY_REMOVE, f"{day} {removed.name}")
    message = _("{day} removed from the console's calendar.").format(day=day)
    return done(request, HOME, message)


def add_routes(app: web.Application, page: PageDecorator) -> None:
    view, form = page(admin=True), page(post=True, admin=True)  # settings: admins only
    app.router.add_get("/config/deadlines", view(deadlines))
    app.router.add_post("/config/deadlines", form(change))
    app.router.add_post("/config/deadlines/days", form(add_days))
    app.router.add_post(f"/config/deadlines/days/{DAY}/remove", form(remove_day))


def offered_slugs() -> list[str]:
    """Categories new reports may have: a retired one's deadlines no longer matter."""
    return [c.slug for c in current_categories().offered()]
