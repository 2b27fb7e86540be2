"""Settings: the reply templates that `/templates` edits in the chat, offered to
supervisors when they resolve, reject or ask.

Every change is the chat's use case (`tickets.template_admin`): a text with an unknown
placeholder or a lone brace is refused there and nothing is stored.
"""

from __future__ import annotations

from functools import partial

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from console.backend import Staff
from console.casework import PageDecorator
from console.changes import audited, done, settings_page
from console.directory import number
from tickets.changes import Change
from tickets.findings import Finding
from tickets.ports import UpdateWorkspace
from tickets.reply_templates import BODY_MAX, TITLE_MAX, Purpose
from tickets.template_admin import add_template, edit_template, set_active
from ui.categories import current_categories
from ui.render import category_label, finding_label
from ui.reply_templates import placeholder_help, purpose_label, scope_text

HOME = "/console/config/templates"


async def templates(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    context = {
        "templates": await ws.templates.list_templates(),
        "purposes": [(p.value, purpose_label(p)) for p in Purpose],
        "categories": [c.slug for c in current_categories().offered()],
        "findings": [(f.value, finding_label(f)) for f in Finding],
        "category_label": category_label,
        "scope_text": scope_text,
        "placeholder_help": placeholder_help(),
        "title_max": TITLE_MAX,
        "body_max": BODY_MAX,
    }
    return settings_page(request, "config_templates.html", context)


async def add(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    template = await add_template(
        ws.templates,
        staff.actor,
        title=str(form.get("title", "")),
        body=str(form.get("body", "")),
        purpose=str(form.get("purpose", "")),
        category=str(form.get("category", "")).strip() or None,
        finding=str(form.get("finding", "")).strip() or None,
        categories=current_categories(),
    )
    await audited(ws, staff, Change.TEMPLATE_ADD, f"#{template.id} {template.title}")
    return done(request, HOME, _("Template #{id} added.").format(id=template.id))


async def edit(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    template = await edit_template(
        ws.templates,
        staff.actor,
        template_id=number(request, "id"),
        title=str(form.get("title", "")),
        body=str(form.get("body", "")),
    )
    await audited(ws, staff, Change.TEMPLATE_EDIT, f"#{template.id} {template.title}")
    return done(request, HOME, _("Template #{id} saved.").format(id=template.id))


async def activate(
    request: web.Request, ws: UpdateWorkspace, staff: Staff, *, active: bool
) -> web.Response:
    template = await set_active(
        ws.templates, staff.actor, template_id=number(request, "id"), active=active
    )
    change = Change.TEMPLATE_RESTORE if active else Change.TEMPLATE_RETIRE
    await audited(ws, staff, change, f"#{template.id} {template.title}")
    message = _("Template #{id} restored.") if active else _("Template #{id} retired.")
    return done(request, HOME, message.format(id=template.id))


def add_routes(app: web.Application, page: PageDecorator) -> None:
    view, form = page(admin=True), page(post=True, admin=True)  # settings: admins only
    app.router.add_get("/config/templates", view(templates))
    app.router.add_post("/config/templates", form(add))
    app.router.add_post(r"/config/templates/{id:\d+}", form(edit))
    for verb, active in (("retire", False), ("restore", True)):
        path = r"/config/templates/{id:\d+}/" + verb
        app.router.add_post(path, form(partial(activate, active=active)))
