"""Last resort: anything no other router wanted gets a hint instead of silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.routing import Blueprint

router = Blueprint(__name__)


@router.message(F.chat.type == "private")
async def unknown_message(message: Message) -> None:
    await message.answer(_("I did not understand that. Send a photo to report, or /help."))


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active."), show_alert=True)


def create_router() -> Router:
    """The catch-all handlers on a fresh Router, for one Dispatcher (include it last)."""
    return router.build()
