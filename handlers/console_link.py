"""`/console`: a staff member asks, in a private chat, for a one-time web console login link.

```mermaid
flowchart LR
  console[/console/] --> link[one-time link, 10 minutes] --> browser[signed in]
```
Only department members and administrators (`STAFF`); the link goes to the asker alone,
and Telegram's link preview is turned off so that no preview fetch is needed to show it
(the link only shows a sign-in button; signing in is a POST).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.access import STAFF, AccessMiddleware
from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.console_login import LOGIN_TTL, issue_login_link
from tickets.ports import UpdateWorkspace

router = Blueprint(__name__)
router.message.filter(F.chat.type == "private")
router.message.middleware(AccessMiddleware())


@router.message(Command("console"), flags=STAFF)
async def console_link(
    message: Message, ws: UpdateWorkspace, actor: Actor, settings: Settings
) -> None:
    if not settings.console_url:
        await message.answer(_("The web console is not set up here (CONSOLE_URL is empty)."))
        return
    link = await issue_login_link(
        ws.console, actor, base_url=settings.console_url, now=ws.clock.now()
    )
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    text = _(
        "Your web console login link, valid {minutes} minutes and for one sign-in only. "
        "Do not forward it:\n{link}"
    ).format(minutes=minutes, link=link)
    await message.answer(text, link_preview_options=LinkPreviewOptions(is_disabled=True))


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
