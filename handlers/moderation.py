"""Moderating a publication before it goes out: an administrator redacts passages of the
text, hides photos, and undoes either, each step with a reason (`tickets.moderation`).

```mermaid
stateDiagram-v2
  [*] --> preview: /publish CODE (handlers.stats)
  preview --> typing_passage: ✂️ Redact text
  typing_passage --> typing_reason: a passage found in the text
  preview --> photo_list: 🙈 Hide a photo
  photo_list --> typing_reason: a photo
  typing_reason --> preview: a reason (stored, audited)
  preview --> undo_list: ↩️ Undo
  undo_list --> preview: a record (reverted, audited)
```
Only in a private chat (a press in a group is refused). Every button and step runs the
publishing checks again (administrator, closed, not yet
published), so a published ticket's moderation cannot change. A passage that is not in the
text, or an empty reason, is refused and the step stays: nothing is stored until the
reason is given. The preview after each step shows what the channel would now read.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.access import ADMIN, AccessMiddleware
from handlers.errors import refusing
from handlers.routing import Blueprint
from handlers.stats import photo_caption, show_preview
from tickets.actors import Actor
from tickets.moderation import Moderation, ModerationKind
from tickets.ports import UpdateWorkspace
from tickets.publishing import (
    PhotoChoice,
    Publication,
    check_passage,
    hide_photo,
    prepare_publication,
    redact_passage,
    revert_moderation,
)
from ui.keyboards import Moderate

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())

LABEL_MAX = 40  # of a passage quoted on an Undo button
PHOTO_SETS = {str(choice) for choice in (PhotoChoice.RESULT, PhotoChoice.REPORT)}


class Moderating(StatesGroup):
    typing_passage = State()
    typing_reason = State()


def configured(settings: Settings) -> bool:
    return settings.public_channel_id is not None


async def current(
    ws: UpdateWorkspace, actor: Actor, settings: Settings, ticket_id: int
) -> Publication:
    """The publication as it stands, or the refusal (in the chat: the press is answered)."""
    with refusing(logged=(), in_chat=True):
        return await prepare_publication(
            ws.publications, actor, ticket_id=ticket_id, channel_configured=configured(settings)
        )


def quoted(passage: str) -> str:
    short = passage if len(passage) <= LABEL_MAX else passage[: LABEL_MAX - 1] + "…"
    return "«" + " ".join(short.split()) + "»"


def record_label(record: Moderation, publication: Publication) -> str:
    """What a record did, as an Undo button says it."""
    if record.kind is ModerationKind.REDACT:
        return "✂️ " + quoted(record.target)
    for choice, photos in publication.all_photos.items():
        for number, photo in enumerate(photos, 1):
            if photo.key == record.target:
                return "🙈 " + photo_caption(choice, number)
    return "🙈 " + record.target


# A passage and its reason are typed where everyone in a group would read them.
in_private_chat = F.message.chat.type == "private"


@router.callback_query(Moderate.filter(), ~in_private_chat, flags=ADMIN)
async def private_chat_only(query: CallbackQuery) -> None:
    await query.answer(
        _("Please send this to me in a private chat: everyone here would read the answer."),
        show_alert=True,
    )


@router.callback_query(Moderate.filter(F.action == "redact"), flags=ADMIN)
async def on_redact(
    query: CallbackQuery,
    callback_data: Moderate,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    await query.answer()
    await current(ws, actor, settings, callback_data.ticket_id)
    await state.set_state(Moderating.typing_passage)
    await state.set_data({"ticket_id": callback_data.ticket_id, "kind": "redact"})
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Send the exact passage to hide, as the preview shows it: every place it "
                "occurs will read […]. Or /cancel."
            )
        )


@router.message(Moderating.typing_passage, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_passage(
    message: Message, state: FSMContext, ws: UpdateWorkspace, actor: Actor, settings: Settings
) -> None:
    data = await state.get_data()
    passage = message.text or ""
    hint = " " + _("Copy it from the preview, or /cancel.")
    with refusing(logged=(), retry_hint=hint, ends_step=True):  # the step stays on a typo
        await check_passage(
            ws.publications,
            actor,
            ticket_id=int(data["ticket_id"]),
            passage=passage,
            channel_configured=configured(settings),
        )
    await state.update_data(passage=passage)
    await state.set_state(Moderating.typing_reason)
    await message.answer(reason_prompt())


def reason_prompt() -> str:
    return _("Why? Type the reason; it is kept in the audit log. Or /cancel.")


@router.callback_query(Moderate.filter(F.action == "hide"), flags=ADMIN)
async def on_hide(
    query: CallbackQuery,
    callback_data: Moderate,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    await query.answer()
    publication = await current(ws, actor, settings, callback_data.ticket_id)
    hidden = {m.target for m in publication.moderations if m.kind is ModerationKind.HIDE}
    rows = [
        [
            InlineKeyboardButton(
                text="🙈 " + photo_caption(choice, number),
                callback_data=Moderate(
                    action="photo", ticket_id=publication.ticket.id, choice=choice, number=number
                ).pack(),
            )
        ]
        for choice, photos in publication.all_photos.items()
        for number, photo in enumerate(photos, 1)
        if photo.key not in hidden
    ]
    if isinstance(query.message, Message):
        text = _("Which photo should be left out of the publication?")
        if not rows:
            text = _("Every photo is already hidden: ↩️ Undo brings one back.")
        await query.message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(
    Moderate.filter((F.action == "photo") & F.choice.in_(PHOTO_SETS)), flags=ADMIN
)
async def on_photo(
    query: CallbackQuery,
    callback_data: Moderate,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    await query.answer()
    await current(ws, actor, settings, callback_data.ticket_id)
    await state.set_state(Moderating.typing_reason)
    await state.set_data(
        {
            "ticket_id": callback_data.ticket_id,
            "kind": "hide",
            "choice": callback_data.choice,
            "number": callback_data.number,
        }
    )
    if isinstance(query.message, Message):
        chosen = photo_caption(PhotoChoice(callback_data.choice), callback_data.number)
        await query.message.answer(chosen + ": " + reason_prompt())


@router.message(Moderating.typing_reason, F.text, ~F.text.startswith("/"), flags=ADMIN)
async def take_reason(
    message: Message,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    ticket_id = int(data["ticket_id"])
    with refusing(logged=(), retry_hint=" " + _("Or /cancel."), ends_step=True):
        if data.get("kind") == "hide":
            publication = await hide_photo(
                ws.publications,
                actor,
                ticket_id=ticket_id,
                choice=PhotoChoice(data["choice"]),
                number=int(data["number"]),
                reason=message.text or "",
                now=ws.clock.now(),
                channel_configured=configured(settings),
            )
        else:
            publication = await redact_passage(
                ws.publications,
                actor,
                ticket_id=ticket_id,
                passage=str(data["passage"]),
                reason=message.text or "",
                now=ws.clock.now(),
                channel_configured=configured(settings),
            )
    await state.clear()
    done = _("🙈 Photo hidden.") if data.get("kind") == "hide" else _("✂️ Passage redacted.")
    await message.answer(done)
    await show_preview(
        message,
        ws,
        actor,
        settings,
        i18n,
        publication=publication,
        photos=data.get("kind") == "hide",
    )


@router.message(StateFilter(Moderating), flags=ADMIN)
async def not_text(message: Message) -> None:
    await message.answer(_("Please type it as text, or /cancel."))


@router.callback_query(Moderate.filter(F.action == "undo"), flags=ADMIN)
async def on_undo(
    query: CallbackQuery,
    callback_data: Moderate,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    await query.answer()
    publication = await current(ws, actor, settings, callback_data.ticket_id)
    rows = [
        [
            InlineKeyboardButton(
                text="↩️ " + record_label(record, publication),
                callback_data=Moderate(
                    action="revert", ticket_id=publication.ticket.id, item=record.id
                ).pack(),
            )
        ]
        for record in publication.moderations
    ]
    if not isinstance(query.message, Message):
        return
    if not rows:
        await query.message.answer(_("Nothing is redacted or hidden."))
        return
    lines = [_("Which step should be undone?")]
    lines += [
        f"{html.escape(record_label(r, publication))} — {html.escape(r.reason)}"
        for r in publication.moderations
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    await query.message.answer("\n".join(lines), reply_markup=markup)


@router.callback_query(Moderate.filter(F.action == "revert"), flags=ADMIN)
async def on_revert(
    query: CallbackQuery,
    callback_data: Moderate,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
    i18n: I18n,
) -> None:
    record, publication = await revert_moderation(
        ws.publications,
        actor,
        ticket_id=callback_data.ticket_id,
        moderation_id=callback_data.item,
        now=ws.clock.now(),
        channel_configured=configured(settings),
    )
    await query.answer(_("↩️ Undone."))
    if isinstance(query.message, Message):
        await show_preview(
            query.message,
            ws,
            actor,
            settings,
            i18n,
            publication=publication,
            photos=record.kind is ModerationKind.HIDE,
        )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
