"""The reporter's side of the anonymous channel, and the satisfaction survey.

```mermaid
stateDiagram-v2
  [*] --> answering: 💬 Reply under a department's question
  answering --> [*]: text or photo → relayed to the department
  [*] --> [*]: a reply (text/photo) to the question message itself → relayed
  [*] --> [*]: 😊 Satisfied / 🙂 Fairly satisfied → closed
  [*] --> commenting: 🙁 Unsatisfied → reopened at once
  commenting --> [*]: comment → department · Skip
```
The department learns only what the reporter writes or shows: the answer travels as new
text, a photo as Telegram's re-encoded photo (no file, so no EXIF), never forwarded, so
neither the reporter's name nor their account goes with it (GlobaLeaks' two-way channel).
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
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workspace import workspace
from config.settings import Settings
from handlers.access import refuse
from storage.reads import question_ticket
from tickets.casework import answer_question, check_answerable, comment_on_survey
from tickets.clock import Clock
from tickets.errors import DomainError, Forbidden
from tickets.holidays import WorkingCalendar
from tickets.workflow import rate
from ui.errors_text import error_text
from ui.keyboards import ReporterReply, SurveyAnswer

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")


class Relay(StatesGroup):
    answering = State()
    commenting = State()


class SkipComment(CallbackData, prefix="svs"):
    ticket_id: int


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
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    calendar: WorkingCalendar,
) -> None:
    ws = workspace(session, clock=clock, settings=settings, i18n=i18n, calendar=calendar)
    try:
        ticket = await check_answerable(
            ws, ticket_id=callback_data.ticket_id, reporter_user_id=query.from_user.id
        )
    except DomainError as error:
        await refuse(
            query, session, error, clock=clock, detail=f"ticket {callback_data.ticket_id}"
        )
        return
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


async def replied_question(message: Message, session: AsyncSession) -> dict[str, Any] | bool:
    """Filter: a reply to the bot's question message; injects that ticket's id."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return False
    ticket_id = await question_ticket(
        session, chat_id=message.chat.id, message_id=replied.message_id
    )
    return {"question_ticket_id": ticket_id} if ticket_id is not None else False


@router.message(Relay.answering, typed_text | F.photo)
async def take_answer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    calendar: WorkingCalendar,
) -> None:
    ticket_id = int((await state.get_data())["relay_ticket"])
    if await relay_answer(message, session, settings, clock, i18n, calendar, ticket_id):
        await state.clear()


@router.message(StateFilter(None), typed_text | F.photo, replied_question)
async def take_reply_to_question(
    message: Message,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    calendar: WorkingCalendar,
    question_ticket_id: int,
) -> None:
    await relay_answer(message, session, settings, clock, i18n, calendar, question_ticket_id)


async def relay_answer(
    message: Message,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    calendar: WorkingCalendar,
    ticket_id: int,
) -> bool:
    """Pass the answer on; tell whether the step is over (sent, or no longer possible)."""
    assert message.from_user is not None
    ws = workspace(session, clock=clock, settings=settings, i18n=i18n, calendar=calendar)
    try:
        ticket = await answer_question(
            ws,
            ticket_id=ticket_id,
            reporter_user_id=message.from_user.id,
            text=message.text or message.caption,
            photo_file_id=message.photo[-1].file_id if message.photo else None,
        )
    except Forbidden as error:
        await refuse(message, session, error, clock=clock, detail=f"ticket {ticket_id}")
        return True
    except DomainError as error:
        await message.answer(error_text(error))
        return error.code != "answer_length"
    await session.commit()  # the answer exists before the step is forgotten
    await message.answer(
        _("✅ Your answer on {code} was passed on. You stay anonymous.").format(
            code=html.escape(ticket.code)
        )
    )
    return True


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
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    calendar: WorkingCalendar,
) -> None:
    ws = workspace(session, clock=clock, settings=settings, i18n=i18n, calendar=calendar)
    cb = callback_data
    try:
        ticket = await rate(
            ws,
            ticket_id=cb.ticket_id,
            reporter_user_id=query.from_user.id,
            rating=cb.rating,
            comment=None,
        )
    except DomainError as error:
        await refuse(query, session, error, clock=clock, detail=f"ticket {cb.ticket_id}")
        return
    await session.commit()  # rated before the FSM hears of it
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


@router.message(Relay.commenting, typed_text)
async def take_comment(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
    calendar: WorkingCalendar,
) -> None:
    assert message.from_user is not None
    ticket_id = int((await state.get_data())["survey_ticket"])
    ws = workspace(session, clock=clock, settings=settings, i18n=i18n, calendar=calendar)
    try:
        await comment_on_survey(
            ws,
            ticket_id=ticket_id,
            reporter_user_id=message.from_user.id,
            comment=message.text or "",
        )
    except DomainError as error:
        await message.answer(error_text(error))
        if error.code == "answer_length":
            return
    else:
        await session.commit()
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
