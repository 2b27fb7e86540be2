"""Greeting, help, language choice and the global /cancel.

```mermaid
flowchart LR
  start[/start/] --> greeting
  help[/help/] --> guide
  lang[/lang/] --> choose{中文 / English} --> saved
  cancel[/cancel/] --> cleared
```
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.routing import Blueprint
from tickets.actors import Actor
from tickets.ports import UpdateWorkspace
from ui.i18n import SUPPORTED
from ui.keyboards import greeting_keyboard

router = Blueprint(__name__)

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


def greeting_text(actor: Actor | None) -> str:
    text = _(
        "Hello! This is the snap-a-photo channel for reporting misconduct by public "
        "officials.\n\nSend a photo and say what happened: it takes less than a minute. "
        "You may stay anonymous. You will get a tracking code, and a reply."
    )
    text += "\n\n" + _("Had good service? /praise (表扬) tells the unit, anonymously.")
    if actor is not None and actor.is_staff:
        text += "\n\n" + _("You are staff here: /queue shows your open tickets, /help lists more.")
    return text


def help_text(actor: Actor | None) -> str:
    lines = [
        _("<b>How to report</b>"),
        _("1. Send one or more photos (or /report)."),
        _("2. Describe what happened, pick a category and the place."),
        _("3. Stay anonymous or give your name, confirm, and keep the tracking code."),
        "",
        _("/praise — praise a unit's good service (表扬)"),
        _("/status CODE — what became of a report"),
        _("/mytickets — your reports"),
        _("/lang — 中文 / English"),
        _("/forget — I delete my messages in this chat (your reports stay)"),
        _("/cancel — stop what you are doing"),
    ]
    if actor is not None and actor.is_staff:
        lines += ["", _("<b>Staff</b>"), _("/queue — open tickets of your department")]
        lines.append(_("/new — register a report received by hotline, letter, visit…"))
        lines.append(_("/ticket CODE — full history of a ticket"))
        lines.append(_("/split CODE — undo the merge of a report"))
        lines.append(_("/find — search tickets by category, state or date"))
        lines.append(_("/stats — figures and charts · /export — XLSX and CSV"))
    if actor is not None and actor.is_admin:
        lines.append(_("/dept — departments, invites and members"))
        lines.append(_("/route — routing rules · /bind — alerts to a group · /dead"))
        lines.append(_("/deadline — working days to accept and resolve, per category"))
        lines.append(_("/categories — add, rename, retire or restore report categories"))
        lines.append(_("/ranking — quarterly ranking · /publish CODE — to the public channel"))
        lines.append(_("/audit CODE — who viewed a real-name reporter's identity"))
    return "\n".join(lines)


@router.message(CommandStart(deep_link=False), F.chat.type == "private")
async def start(message: Message, actor: Actor) -> None:
    await message.answer(greeting_text(actor), reply_markup=greeting_keyboard())


@router.message(Command("help"))
async def show_help(message: Message, actor: Actor) -> None:
    await message.answer(help_text(actor))


@router.message(Command("lang"))
async def choose_language(message: Message) -> None:
    buttons = [
        InlineKeyboardButton(text=name, callback_data=LanguageChoice(code=code).pack())
        for code, name in LANGUAGE_NAMES.items()
    ]
    await message.answer(
        _("Choose your language:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons])
    )


@router.callback_query(LanguageChoice.filter(F.code.in_(SUPPORTED)))
async def set_language(
    query: CallbackQuery, callback_data: LanguageChoice, ws: UpdateWorkspace, i18n: I18n
) -> None:
    await ws.people.set_language(user_id=query.from_user.id, language=callback_data.code)
    with i18n.use_locale(callback_data.code):
        text = _("Language set: {name}.").format(name=LANGUAGE_NAMES[callback_data.code])
    await query.answer(text)
    if isinstance(query.message, Message):
        await query.message.edit_text(text)


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    had_state = await state.get_state() is not None
    data = await state.get_data()
    await state.clear()
    await ws.drafts.release_photos(data)  # a report draft's photos
    text = _("Cancelled.") if had_state else _("Nothing to cancel.")
    # A draft may have left a location or contact keyboard open: take it away too.
    await message.answer(
        text + " " + _("Send a photo whenever you want to report."),
        reply_markup=ReplyKeyboardRemove() if had_state else None,
    )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
