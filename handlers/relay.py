"""The reporter's side of the anonymous channel, and the satisfaction survey.

```mermaid
stateDiagram-v2
  [*] --> answering: 💬 Reply under a department's question
  answering --> [*]: text or photo → relayed to the department
  [*] --> [*]: a reply (text/photo) to the question message itself → relayed
  [*] --> [*]: 😊 Satisfied / 🙂 Fairly satisfied → closed
  [*] --> commenting: 🙁 Unsatisfied → reopened at once
  [*] --> [*]: a supporter's rating ('me too') → recorded, the ticket unchanged
  commenting --> [*]: comment → department · Skip
```
The department learns only what the reporter writes or shows: the answer travels as new
text, a photo as Telegram's re-encoded photo (no file, so no EXIF), never forwarded, so
neither the reporter's name nor their account goes with it (GlobaLeaks' two-way channel).
Refusals fly to `handlers.errors`; `refusing` says which end the step.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.errors import refusing
from handlers.routing import Blueprint
from tickets.casework import answer_question, check_answerable, comment_on_survey
from tickets.errors import Forbidden
from tickets.ports import UpdateWorkspace
from tickets.supporters import rate_as_supporter
from tickets.workflow import rate
from ui.keyboards import DataInt, ReporterReply, SupporterSurveyAnswer, SurveyAnswer

router = Blueprint(__name__)
router.message.filter(F.chat.type == "private")


class Relay(StatesGroup):
    answering = State()
    commenting = State()


class SkipComment(CallbackData, prefix="svs"):
    ticket_id: DataInt


typed_text = F.text & ~F.text.startswith("/")


def rating_label(rating: str) -> str:
    return {
        "satisfied": _("😊 Satisfied"),
        "fair": _("🙂 Fairly satisfied"),
        "unsatisfied": _("🙁 Unsatisfied"),
    }.get(rating, rating)


# -- answering a question -------------------------------------------------------------------


@router.callback_query(ReporterReply.filter())
async def begin_answer(
    query: CallbackQuery,
    callback_data: ReporterReply,
    state: FSMContext,
    ws: UpdateWorkspace,
) -> None:
    with refusing(detail=f"ticket {callback_data.ticket_id}"):
        ticket = await check_answerable(
            ws, ticket_id=callback_data.ticket_id, reporter_user_id=query.from_user.id
        )
    await state.set_state(Relay.answering)
    await state.set_data({"relay_ticket": ticket.id})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Send your answer on {code}: a text or a photo. The department will not learn "
                "who you are. /cancel to stop."
            ).format(code=ticket.code)
        )


async def replied_question(message: Message, ws: UpdateWorkspace) -> dict[str, Any] | bool:
    """Filter: a reply to the bot's question message; injects that ticket's id."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return False
    ticket_id = await ws.cases.question_ticket(
        chat_id=message.chat.id, message_id=replied.message_id
    )
    return {"question_ticket_id": ticket_id} if ticket_id is not None else False


@router.message(Relay.answering, typed_text | F.photo)
async def take_answer(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    ticket_id = int((await state.get_data())["relay_ticket"])
    await relay_answer(message, ws, ticket_id, ends_step=True)
    await state.clear()


@router.message(StateFilter(None), typed_text | F.photo, replied_question)
async def take_reply_to_question(
    message: Message, ws: UpdateWorkspace, question_ticket_id: int
) -> None:
    await relay_answer(message, ws, question_ticket_id, ends_step=False)


async def relay_answer(
    message: Message, ws: UpdateWorkspace, ticket_id: int, *, ends_step: bool
) -> None:
    """Pass the answer on; only a refusal of who asks is a security event.

    Refused, the step ends unless the answer may be corrected (too long).
    """
    assert message.from_user is not None
    refusal = refusing(detail=f"ticket {ticket_id}", logged=(Forbidden,), ends_step=ends_step)
    with refusal:
        ticket = await answer_question(
            ws,
            ticket_id=ticket_id,
            reporter_user_id=message.from_user.id,
            text=message.text or message.caption,
            photo_file_id=message.photo[-1].file_id if message.photo else None,
        )
    await message.answer(
        _("✅ Your answer on {code} was passed on. You stay anonymous.").format(
            code=html.escape(ticket.code)
        )
    )


@router.message(Relay.answering)
async def answer_expected(message: Message) -> None:
    await message.answer(
        _("Please send a text or a photo (as a photo, not as a file), or /cancel.")
    )


# -- the survey -----------------------------------------------------------------------------


@router.callback_query(SurveyAnswer.filter())
async def on_survey(
    query: CallbackQuery,
    callback_data: SurveyAnswer,
    state: FSMContext,
    ws: UpdateWorkspace,
) -> None:
    cb = callback_data
    with refusing(detail=f"ticket {cb.ticket_id}"):
        ticket = await rate(
            ws,
            ticket_id=cb.ticket_id,
            reporter_user_id=query.from_user.id,
            rating=cb.rating,
            comment=None,
        )
    answered = _("Your answer on {code}: {rating}").format(
        code=ticket.code, rating=rating_label(cb.rating)
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(html.escape(query.message.text or "") + "\n\n" + answered)
    if cb.rating != "unsatisfied":
        await query.answer(_("Thank you!"))
        return
    await state.set_state(Relay.commenting)
    await state.set_data({"survey_ticket": ticket.id})
    await query.answer(_("Sorry to hear that. The ticket is reopened."))
    if isinstance(query.message, Message):
        skip = SkipComment(ticket_id=ticket.id).pack()
        await query.message.answer(
            _(
                "{code} has been reopened and sent back to the department. What was not right? "
                "Write a comment for them, or press Skip."
            ).format(code=ticket.code),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text=_("Skip ⏭"), callback_data=skip)]]
            ),
        )


@router.callback_query(SupporterSurveyAnswer.filter())
async def on_supporter_survey(
    query: CallbackQuery, callback_data: SupporterSurveyAnswer, ws: UpdateWorkspace
) -> None:
    """A supporter's rating: recorded and thanked; the ticket's state is not theirs to move."""
    cb = callback_data
    with refusing(detail=f"ticket {cb.ticket_id}"):
        await rate_as_supporter(
            ws, ticket_id=cb.ticket_id, reporter_user_id=query.from_user.id, rating=cb.rating
        )
    answered = _("Your answer: {rating}").format(rating=rating_label(cb.rating))
    if isinstance(query.message, Message):
        await query.message.edit_text(html.escape(query.message.text or "") + "\n\n" + answered)
    await query.answer(_("Thank you!"))


@router.message(Relay.commenting, typed_text)
async def take_comment(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    assert message.from_user is not None
    ticket_id = int((await state.get_data())["survey_ticket"])
    with refusing(logged=(), ends_step=True):  # a too long comment may be shortened
        await comment_on_survey(
            ws,
            ticket_id=ticket_id,
            reporter_user_id=message.from_user.id,
            comment=message.text or "",
        )
    await message.answer(_("Thank you: your comment was passed on to the department."))
    await state.clear()


@router.message(Relay.commenting)
async def comment_expected(message: Message) -> None:
    await message.answer(_("Please write your comment as text, or press Skip."))


@router.callback_query(SkipComment.filter())
async def skip_comment(
    query: CallbackQuery, callback_data: SkipComment, state: FSMContext
) -> None:
    data = await state.get_data()
    if data.get("survey_ticket") == callback_data.ticket_id:
        await state.clear()
    await query.answer(_("OK."))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
