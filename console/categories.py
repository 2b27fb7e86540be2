"""Settings: the misconduct categories that `/categories` edits in the chat, offered to
citizens when they report.

Every change is the chat's use case (`tickets.category_admin`), which checks the
administrator again: a taken slug or an empty label is refused there and nothing is stored.
Slugs never change; a category is retired (no longer offered, old tickets keep it), not
deleted.
"""

from __future__ import annotations

from functools import partial

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from console.backend import Staff
from console.casework import PageDecorator
from console.changes import audited, done, settings_page
from tickets.categories import LABEL_MAX
from tickets.category_admin import add_category, rename_category, set_retired
from tickets.changes import Change
from tickets.ports import UpdateWorkspace

HOME = "/console/config/categories"
SLUG = r"{slug:[a-z0-9_]{1,40}}"


async def categories(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    context = {
        "categories": await ws.categories.list_categories(),
        "label_max": LABEL_MAX,
    }
    return settings_page(request, "config_categories.html", context)


async def add(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    category = await add_category(
        ws.categories,
        staff.actor,
        slug=str(form.get("slug", "")),
        zh=str(form.get("zh", "")),
        en=str(form.get("en", "")),
    )
    await audited(ws, staff, Change.CATEGORY_ADD, category.slug)
    return done(request, HOME, _("Category {slug} added.").format(slug=category.slug))


async def rename(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.Response:
    form = await request.post()
    category = await rename_category(
        ws.categories,
        staff.actor,
        slug=request.match_info["slug"],
        zh=str(form.get("zh", "")),
        en=str(form.get("en", "")),
    )
    await audited(ws, staff, Change.CATEGORY_RENAME, category.slug)
    return done(request, HOME, _("Category {slug} saved.").format(slug=category.slug))


async def set_offered(
    request: web.Request, ws: UpdateWorkspace, staff: Staff, *, retired: bool
) -> web.Response:
    category = await set_retired(
        ws.categories, staff.actor, slug=request.match_info["slug"], retired=retired
    )
    change = Change.CATEGORY_RETIRE if retired else Change.CATEGORY_RESTORE
    await audited(ws, staff, change, category.slug)
    message = (
        _("Category {slug} retired: new reports no longer offer it.")
        if retired
        else _("Category {slug} restored: new reports offer it again.")
    )
    return done(request, HOME, message.format(slug=category.slug))


def add_routes(app: web.Application, page: PageDecorator) -> None:
    view, form = page(admin=True), page(post=True, admin=True)  # settings: admins only
    app.router.add_get("/config/categories", view(categories))
    app.router.add_post("/config/categories", form(add))
    app.router.add_post(f"/config/categories/{SLUG}", form(rename))
    for verb, retired in (("retire", True), ("restore", False)):
        path = f"/config/categories/{SLUG}/{verb}"
        app.router.add_post(path, form(partial(set_offered, retired=retired)))
