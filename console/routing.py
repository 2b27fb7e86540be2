"""Settings: routing rules and place tags, as `/route` runs them in the chat, and each
tag's printable QR poster (the one `snapreport qr` writes) to download.

Every change is the chat's use case (`tickets.membership`): a rule to an archived
department, or for an unregistered tag, is refused there and nothing is stored.
"""

from __future__ import annotations

import asyncio

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from console.backend import Staff, backend_of
from console.casework import PageDecorator
from console.changes import audited, done, settings_page
from console.directory import number
from console.oversight import requester_language
from tickets.changes import Change
from tickets.membership import add_rule, delete_rule, register_tag
from tickets.ports import UpdateWorkspace
from ui.categories import current_categories
from ui.qr import deep_link, poster_png
from ui.render import category_label

HOME = "/console/config/routing"


async def routing(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    username = await backend_of(request).bot_username()
    tags = await ws.directory.list_tags()
    context = {
        "rules": await ws.directory.list_rules(),
        "tags": [(t, deep_link(username, t.tag) if username else "") for t in tags],
        "departments": [d for d in await ws.directory.list_departments() if not d.archived],
        "categories": [c.slug for c in current_categories().offered()],
        "category_label": category_label,
    }
    return settings_page(request, "config_routing.html", context)


async def add(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    terms = [
        f"{key}={value}"
        for key in ("category", "tag", "priority")
        if (value := str(form.get(key, "")).strip())
    ]
    rule = await add_rule(
        ws.directory,
        staff.actor,
        ref=str(form.get("department", "")),
        terms=terms,
        categories=current_categories(),
    )
    detail = f"#{rule.id} {' '.join(terms)} → #{rule.department_id}"
    await audited(ws, staff, Change.RULE_ADD, detail)
    message = _("Rule #{id} added: → {name}").format(id=rule.id, name=rule.department_name)
    return done(request, HOME, message)


async def delete(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    rule_id = number(request, "id")
    await delete_rule(ws.directory, staff.actor, rule_id=rule_id)
    await audited(ws, staff, Change.RULE_DELETE, f"#{rule_id}")
    return done(request, HOME, _("Rule #{id} removed.").format(id=rule_id))


async def tag(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    place = str(form.get("place", ""))
    registered = await register_tag(
        ws.directory, staff.actor, tag=str(form.get("tag", "")).strip(), place=place
    )
    await audited(ws, staff, Change.TAG_REGISTER, f"{registered}: {place}")
    message = _("Place tag {tag} registered; download its poster below.").format(tag=registered)
    return done(request, HOME, message)


async def poster(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    found = await ws.directory.get_tag(tag=request.match_info["tag"])
    username = await backend_of(request).bot_username()
    if found is None or not username:
        raise web.HTTPNotFound()
    link = deep_link(username, found.tag)
    # Drawn off the event loop, in the page's language.
    png, _lines = await asyncio.to_thread(
        poster_png, link, found.place_text, requester_language(request)
    )
    return web.Response(
        body=png,
        content_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="{found.tag}.png"'},
    )


def add_routes(app: web.Application, page: PageDecorator) -> None:
    view, form = page(admin=True), page(post=True, admin=True)  # settings: admins only
    app.router.add_get("/config/routing", view(routing))
    app.router.add_post("/config/routing/rules", form(add))
    app.router.add_post(r"/config/routing/rules/{id:\d+}/delete", form(delete))
    app.router.add_post("/config/routing/tags", form(tag))
    poster_path = r"/config/routing/tags/{tag:[A-Za-z0-9_-]{1,64}}/poster.png"
    app.router.add_get(poster_path, view(poster))
