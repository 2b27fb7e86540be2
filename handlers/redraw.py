"""Redrawing the message a button was pressed on, in place.

Telegram refuses an edit that changes nothing (a button pressed twice) and one of a
message that is gone; either way the message stays as it is, which is what the press
wanted, so the refusal is swallowed. A press on a message the bot can no longer reach
(an `InaccessibleMessage`) edits nothing.
"""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def edit_pressed(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message's text and buttons."""
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(text, reply_markup=markup)


async def edit_pressed_markup(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Replace only the pressed message's buttons (None takes them away)."""
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=markup)
