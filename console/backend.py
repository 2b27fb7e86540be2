"""What the console needs from the composition root, and the signed-in staff member."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp_jinja2
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiohttp import web

from config.settings import Settings
from tickets.actors import Actor
from tickets.ports import ConsoleSessionView, UpdateWorkspace
from tickets.stats_scope import stats_scope


class Backend(Protocol):
    """One unit of work per request: commits when the block ends, rolls back if it raises."""

    @property
    def settings(self) -> Settings: ...

    @property
    def i18n(self) -> I18n: ...

    def unit(self) -> AbstractAsyncContextManager[UpdateWorkspace]: ...

    async def bot_username(self) -> str | None:
        """The Telegram bot's @username for deep links (invites, posters); None without one."""
        ...


@dataclass(frozen=True)
class Staff:
    """The request's staff member: roles read now, their session, its cookie's hash."""

    actor: Actor
    session: ConsoleSessionView
    token_hash: str


BACKEND: web.AppKey[Backend] = web.AppKey("console_backend", Backend)


def backend_of(request: web.Request) -> Backend:
    return request.app[BACKEND]


def see_other(location: str) -> web.Response:
    """303 to a console page (returned, not raised, so the unit of work commits)."""
    return web.Response(status=303, headers={"Location": location})


STAFF: web.RequestKey[Staff | None] = web.RequestKey("console_staff", object)  # type: ignore[arg-type]
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page in the current gettext locale, with what every page's header needs."""
    staff = request.get(STAFF)
    shared = {
        "_": _,
        "staff": staff,
        "csrf": staff.session.csrf if staff is not None else "",
        # Figures are for supervisors and administrators: others get no links to a refusal.
        "oversees": staff is not None and stats_scope(staff.actor) is not None,
        "language_names": LANGUAGE_NAMES,
        "path": request.path_qs,
    }
    return aiohttp_jinja2.render_template(template, request, {**shared, **context}, status=status)
