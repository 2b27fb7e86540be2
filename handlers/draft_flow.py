"""What every guided draft (a citizen's report, staff `/new`, praise) does the same way.

A draft lives in the chat's FSM data under a `draft_id` that its buttons carry. Its one
panel is edited in place for button presses and replaced for typed answers, so the chat
never holds two live panels; a button of another draft (or of none) is stale; ending a
draft releases its photos; an optional photo step takes photos one at a time. The flows
keep their own states, prompts and texts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from handlers.photos import incoming_photo, ingest_photo, rejection_text
from tickets.photos import ImageRejected
from tickets.ports import UpdateWorkspace
from tickets.reports import PHOTOS_MAX


class DraftButton(Protocol):
    """A draft's parsed `CallbackData`: which draft the pressed button belongs to."""

    draft: str


async def show_panel(
    target: Message | CallbackQuery,
    state: FSMContext,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    """Edit the panel for button presses; send a fresh one (and drop the old) otherwise."""
    if isinstance(target, CallbackQuery) and isinstance(target.message, Message):
        try:
            await target.message.edit_text(text, reply_markup=markup)
            await state.update_data(panel_id=target.message.message_id)
            return
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return  # a double tap: the panel already shows this
            # the panel is gone (deleted, too old to edit): fall through to a new one
    message = target if isinstance(target, Message) else target.message
    if not isinstance(message, Message) or message.bot is None:
        return
    await replace_panel(message.bot, message.chat.id, state, text, markup)


async def replace_panel(
    bot: Bot, chat_id: int, state: FSMContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Drop the old panel, then send the new one, so there are never two live panels."""
    old_panel = (await state.get_data()).get("panel_id")
    if old_panel:
        # Forgotten before it is deleted: whoever refreshes next has nothing to delete
        # again, which Telegram would refuse with "message to delete not found".
        await state.update_data(panel_id=None)
        with contextlib.suppress(TelegramBadRequest):
            await bot.delete_message(chat_id, old_panel)
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    await state.update_data(panel_id=sent.message_id)


async def go(
    target: Message | CallbackQuery, state: FSMContext, to: State, prompt: tuple[str, Any]
) -> None:
    """Enter the step `to` and show its panel."""
    await state.set_state(to)
    await show_panel(target, state, *prompt)


async def stale_draft(query: CallbackQuery, callback_data: DraftButton, state: FSMContext) -> bool:
    """Filter: the button belongs to another draft than the chat's, or to none."""
    data = await state.get_data()
    return data.get("draft_id") != callback_data.draft or await state.get_state() is None


Unit = tuple[int, str]  # a unit a draft may name: its department id and name


async def active_units(ws: UpdateWorkspace) -> list[Unit]:
    """The units a draft may name, as the directory has them now (intake first).

    Read each time a unit step is drawn or answered, never kept in the draft: the whole
    directory in every stored draft was a third of its bytes.
    """
    departments = await ws.directory.list_departments()
    return [(d.id, d.name) for d in departments if not d.archived]


def matching_units(units: Sequence[Unit], typed: str | None) -> list[Unit]:
    """The units whose name holds the typed text (all of them when nothing was typed)."""
    needle = (typed or "").casefold()
    return [unit for unit in units if needle in unit[1].casefold()]


async def discard_draft(state: FSMContext, ws: UpdateWorkspace) -> None:
    """Forget the draft and delete its photos, unless a ticket or another draft uses them."""
    data = await state.get_data()
    await state.clear()
    await ws.drafts.release_photos(data)


async def receive_photo(
    message: Message, bot: Bot, ws: UpdateWorkspace, *, held: int, too_many: str
) -> dict[str, object] | None:
    """Store the sent photo for a draft holding `held`; None when refused, said why.

    `too_many` is the flow's answer at the limit, with a `{maximum}` placeholder.
    """
    if held >= PHOTOS_MAX:
        await message.answer(too_many.format(maximum=PHOTOS_MAX))
        return None
    photo = incoming_photo(message)
    assert photo is not None
    try:
        return await ingest_photo(bot, ws.photos, photo)
    except ImageRejected as error:
        await message.answer(rejection_text(error))
        return None


async def take_photo(
    message: Message, state: FSMContext, bot: Bot, ws: UpdateWorkspace, too_many: str
) -> bool:
    """Add the sent photo to the draft (once); False when it was refused."""
    data = await state.get_data()
    entry = await receive_photo(message, bot, ws, held=len(data["photos"]), too_many=too_many)
    if entry is None:
        return False
    if all(p["sha256"] != entry["sha256"] for p in data["photos"]):
        await state.update_data(photos=[*data["photos"], entry])
    return True
