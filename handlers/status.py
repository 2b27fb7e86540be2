"""Looking a report up: `/status CODE` from any chat, `/mytickets`, and adding material.

The code is the key (GlobaLeaks' receipt idea): whoever holds it sees the state, the
department, deadlines and public replies — never the reporter's identity or evidence.
A case the citizen joined (`tickets.supporters`: 'me too', or a staff merge) is listed
under /mytickets as joined, without its code; its button shows its state the same way.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.errors import refusing
from handlers.routing import Blueprint
from tickets.codes import CodeProblem, CodeReading, format_code, read_code
from tickets.ports import UpdateWorkspace
from tickets.quotas import check_supplement_quota
from tickets.states import TicketState, is_open
from tickets.supplements import add_supplement
from tickets.supporters import joined_ticket, joined_tickets
from tickets.views import TicketStatus, TicketView
from ui.errors_text import code_problem_text
from ui.keyboards import DataInt
from ui.render import (
    category_label,
    joined_status_text,
    local_time,
    state_label,
    status_text,
)

router = Blueprint(__name__)  # built per Dispatcher by handlers.get_routers()
PAGE_SIZE = 5
JOINED_SHOWN = 10  # the newest cases joined, under the first page of one's own


class MyTickets(CallbackData, prefix="my"):
    page: DataInt


class Supplement(CallbackData, prefix="sup"):
    ticket_id: DataInt


class StatusPick(CallbackData, prefix="sts"):
    """`/status` without a code: one of the reporter's own tickets, chosen with a button."""

    ticket_id: DataInt


class JoinedStatus(CallbackData, prefix="sjn"):
    """The state of a case the presser joined; the button names it by number, not code."""

    ticket_id: DataInt


class AddingMaterial(StatesGroup):
    sending = State()


@router.message(Command("status"))
async def show_status(
    message: Message, command: CommandObject, ws: UpdateWorkspace, settings: Settings
) -> None:
    if not command.args:
        text, markup = await status_choices(ws, message)
        await message.answer(text, reply_markup=markup)
        return
    reading = read_code(command.args)
    if reading.code is None:
        await message.answer(code_problem_text(reading))
        own = await own_ticket_by_body(ws, reading, message.from_user)
        if own is not None:
            await message.answer(status_text(TicketStatus.of(own), settings.tz))
        return
    status = await ws.cases.ticket_status(code=reading.code)
    if status is None:
        await message.answer(_("No report with this code."))
        return
    await message.answer(status_text(status, settings.tz))


async def status_choices(
    ws: UpdateWorkspace, message: Message
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The asker's own latest tickets as buttons; in a group only how to type a code.

    Never in a group: the buttons would show everyone there which reports this person made.
    """
    usage = _("Send /status followed by your tracking code, e.g. /status SR-7K3Q-9XPA-X.")
    if message.chat.type != "private" or message.from_user is None:
        return usage, None
    rows = await ws.cases.reporter_tickets(
        reporter_user_id=message.from_user.id, offset=0, limit=PAGE_SIZE
    )
    if not rows:
        return usage, None
    buttons = [
        [
            InlineKeyboardButton(
                text=f"{t.code} · {state_label(t.state)}",
                callback_data=StatusPick(ticket_id=t.id).pack(),
            )
        ]
        for t in rows
    ]
    text = _("Which report? Your latest are below; or send /status with a tracking code.")
    return text, InlineKeyboardMarkup(inline_keyboard=buttons)


async def own_ticket(
    query: CallbackQuery, ws: UpdateWorkspace, ticket_id: int
) -> TicketView | None:
    """The pressed button's ticket if it is the presser's own report; else refuse (alert)."""
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is None or ticket.reporter_user_id != query.from_user.id:
        # The button names the ticket by number, not by its code: only its reporter may.
        await query.answer(_("You are not allowed to do this."), show_alert=True)
        return None
    return ticket


@router.callback_query(StatusPick.filter())
async def on_status_pick(
    query: CallbackQuery, callback_data: StatusPick, ws: UpdateWorkspace, settings: Settings
) -> None:
    ticket = await own_ticket(query, ws, callback_data.ticket_id)
    if ticket is None:
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(status_text(TicketStatus.of(ticket), settings.tz))


async def own_ticket_by_body(
    ws: UpdateWorkspace, reading: CodeReading, user: User | None
) -> TicketView | None:
    """The asker's own ticket a code typed without its check symbol can only mean.

    Only the reporter's own: guessing a stranger's ticket from a partial code would make
    the check symbol worthless as protection against typos that land on another case.
    """
    if reading.problem is not CodeProblem.CHECK_MISSING or reading.body is None or user is None:
        return None
    ticket = await ws.tickets.get_by_code(code=format_code(reading.body))
    return ticket if ticket is not None and ticket.reporter_user_id == user.id else None


@router.message(Command("mytickets"), F.chat.type == "private")
async def my_tickets(message: Message, ws: UpdateWorkspace, settings: Settings) -> None:
    assert message.from_user is not None
    text, markup = await tickets_page(ws, settings, message.from_user.id, page=0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(MyTickets.filter(F.page >= 0))
async def my_tickets_page(
    query: CallbackQuery, callback_data: MyTickets, ws: UpdateWorkspace, settings: Settings
) -> None:
    text, markup = await tickets_page(ws, settings, query.from_user.id, page=callback_data.page)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def tickets_page(
    ws: UpdateWorkspace, settings: Settings, user_id: int, *, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the user's tickets, newest first, with paging and 补充材料 buttons."""
    rows = await ws.cases.reporter_tickets(
        reporter_user_id=user_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1
    )
    has_more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    joined = (
        await joined_tickets(ws, reporter_user_id=user_id, limit=JOINED_SHOWN) if page == 0 else []
    )
    if not rows and not joined:
        return (
            _("You have no reports yet. Send a photo to make one.")
            if page == 0
            else _("No more reports.")
        ), None
    lines = [_("<b>Your reports</b>")]
    buttons: list[list[InlineKeyboardButton]] = []
    for ticket in rows:
        lines.append(
            f"<code>{ticket.code}</code> · {state_label(ticket.state)} · "
            f"{local_time(ticket.created_at, settings.tz)}"
        )
        if is_open(TicketState(ticket.state)):
            buttons.append(
                [
                    InlineKeyboardButton(
                        text=_("➕ Add material to {code}").format(code=ticket.code),
                        callback_data=Supplement(ticket_id=ticket.id).pack(),
                    )
                ]
            )
    for ticket in joined:
        # The tracking code is the original reporter's key: a joined case goes without it.
        lines.append(
            _("🤝 joined") + f" · {category_label(ticket.category)} · "
            f"{state_label(ticket.state)} · {local_time(ticket.created_at, settings.tz)}"
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    text=_("🤝 Status: {category}").format(
                        category=category_label(ticket.category)
                    ),
                    callback_data=JoinedStatus(ticket_id=ticket.id).pack(),
                )
            ]
        )
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(text=_("⬅️ Newer"), callback_data=MyTickets(page=page - 1).pack())
        )
    if has_more:
        paging.append(
            InlineKeyboardButton(text=_("Older ➡️"), callback_data=MyTickets(page=page + 1).pack())
        )
    if paging:
        buttons.append(paging)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None


@router.callback_query(JoinedStatus.filter())
async def on_joined_status(
    query: CallbackQuery, callback_data: JoinedStatus, ws: UpdateWorkspace, settings: Settings
) -> None:
    ticket = await joined_ticket(
        ws, ticket_id=callback_data.ticket_id, reporter_user_id=query.from_user.id
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(joined_status_text(ticket, settings.tz))


@router.callback_query(Supplement.filter())
async def begin_supplement(
    query: CallbackQuery, callback_data: Supplement, ws: UpdateWorkspace, state: FSMContext
) -> None:
    ticket = await own_ticket(query, ws, callback_data.ticket_id)
    if ticket is None:
        return
    await check_supplement_quota(ws, ticket)  # said now, before they choose what to send
    await state.set_state(AddingMaterial.sending)
    await state.update_data(supplement_ticket=ticket.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Send a photo or a text to add to {code}, or /cancel.").format(code=ticket.code)
        )


@router.message(AddingMaterial.sending, F.text | F.photo)
async def receive_supplement(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    ticket_id = int(data["supplement_ticket"])
    photo_id = message.photo[-1].file_id if message.photo else None
    # Not a security event (as before); the ticket closed or is not theirs ends the step,
    # since retrying cannot help, while a too-long text may be corrected.
    with refusing(detail=f"ticket {ticket_id}", logged=(), ends_step=True):
        ticket = await add_supplement(
            ws,
            ticket_id=ticket_id,
            reporter_user_id=message.from_user.id,
            text=message.text or message.caption,
            photo_file_id=photo_id,
        )
    await state.clear()
    await message.answer(
        _("Added to {code}. The department has been told.").format(code=html.escape(ticket.code))
    )


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
