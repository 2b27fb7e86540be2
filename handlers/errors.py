"""Turns an unexpected exception into an apology in the user's language and a log line."""

from __future__ import annotations

import structlog
from aiogram import Router
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

router = Router(name=__name__)
log = structlog.get_logger(__name__)


@router.errors()
async def on_error(event: ErrorEvent) -> None:
    log.error("handler_error", error=repr(event.exception), exc_info=event.exception)
    text = _("Sorry, something went wrong on our side. Please try again in a moment.")
    update = event.update
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
