"""Settings: the deadline days per category that `/deadline` sets in the chat, and the
holidays and make-up working days the deadlines are counted on (read-only: they come
from the packaged schedule and HOLIDAYS_FILE)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from console.backend import Staff, backend_of, render
from console.casework import PageDecorator
from console.changes import audited, done, flash_of, require_admin, shown
from tickets.changes import Change
from tickets.deadlines import ACCEPT_DAYS_MAX, RESOLVE_DAYS_MAX, DeadlineDays, DeadlinePolicy
from tickets.errors import ValidationError
from tickets.periods import today
from tickets.ports import UpdateWorkspace
from ui.categories import current_categories
from ui.render import category_label

HOME = "/console/config/deadlines"


async def deadlines(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    require_admin(staff)
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
        "special_days": ws.calendar.special_days(today(ws.clock, tz)),
        "flash": flash_of(request),
    }
    return shown(request, render(request, "config_deadlines.html", context))


def whole(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


async def change(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    require_admin(staff)
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


def add_routes(app: web.Application, page: PageDecorator) -> None:
    app.router.add_get("/config/deadlines", page()(deadlines))
    app.router.add_post("/config/deadlines", page(post=True)(change))


def offered_slugs() -> list[str]:
    """Categories new reports may have: a retired one's deadlines no longer matter."""
    return [c.slug for c in current_categories().offered()]
