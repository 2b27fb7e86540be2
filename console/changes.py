"""What every configuration page shares: administrators only, each change audited, and the
flash message a change's redirect carries back to the page.

A change is recorded as the chat's configuration commands record theirs
(`tickets.changes`): who by keyed hash, what, and a short detail. The flash is a
short-lived cookie holding the message already in the member's language, read once by the
next page of the settings.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from config.logs import user_hash
from console.backend import Staff, backend_of, render, see_other
from console.web import secure_cookies
from tickets.changes import Change, record_change
from tickets.ports import UpdateWorkspace

FLASH = "snapreport_flash"
FLASH_PATH = "/console/config"


async def audited(ws: UpdateWorkspace, staff: Staff, change: Change, detail: str) -> None:
    """Record one configuration change in the audit log."""
    await record_change(
        ws.security,
        actor_hash=user_hash(staff.actor.user_id),
        change=change,
        detail=detail,
        at=ws.clock.now(),
    )


def done(request: web.Request, location: str, message: str) -> web.Response:
    """303 back to a settings page, carrying `message` for it to show once."""
    response = see_other(location)
    response.set_cookie(
        FLASH,
        quote(message),
        max_age=60,
        path=FLASH_PATH,
        httponly=True,
        secure=secure_cookies(backend_of(request)),
        samesite="Strict",
    )
    return response


def settings_page(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    """A settings page, showing the flash a change brought back; the flash is then spent."""
    flash = unquote(request.cookies.get(FLASH, ""))
    response = render(request, template, {**context, "flash": flash})
    if FLASH in request.cookies:
        response.del_cookie(FLASH, path=FLASH_PATH)
    return response
