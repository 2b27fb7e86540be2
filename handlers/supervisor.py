"""Department staff at work: the ticket card's buttons, `/queue`, `/ticket CODE`, `/find`,
`/split CODE`.

`/ticket` and `/find` answer in private chats only (`handlers.disclosure` answers them in a
group with a pointer to the private chat).

```mermaid
stateDiagram-v2
  [*] --> card: alert / /queue / /ticket CODE
  card --> card: Accept (at once) · Assign → member chosen
  card --> writing_question: Ask reporter
  card --> writing_reason: Reject
  card --> naming_original: Duplicate of…
  card --> naming_target: Merge into…
  card --> choosing_finding: Resolve
  writing_question --> [*]: text or a template → relayed to the reporter
  writing_reason --> [*]: text or a template → rejected
  naming_original --> [*]: code → linked
  naming_target --> [*]: code → merged (/split CODE undoes it)
  choosing_finding --> choosing_actions: 查实 / 部分属实
  choosing_finding --> writing_reply: 不属实 / 无法核实
  choosing_actions --> choosing_actions: toggle an action
  choosing_actions --> counting_people: Done (at least one action)
  counting_people --> writing_reply: 1 / 2 / 3, or More… then a typed number
  writing_reply --> adding_result_photos: text, or a template pressed
  adding_result_photos --> [*]: Send reply (photos optional)
```
Card buttons carry the state they were drawn for, so a press on an old card is refused and
the card redrawn. The prompts for a question, a reason and the official reply offer the
reply templates that fit the ticket (`tickets.reply_templates`) as buttons: pressing one
uses its text, filled from the ticket, as if it had been typed. Every press is checked by
`tickets.casework` (department, role, state); refusals fly to `handlers.errors`, which
answers them with an alert and logs them. What a handler reads or writes comes through `ws`
(`tickets.ports.UpdateWorkspace`), and the update's unit of work commits it, FSM state
included. /cancel leaves any step.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from handlers.access import STAFF, AccessMiddleware, in_private
from handlers.errors import AfterRefusal, Refusal, refusing
from handlers.redraw import edit_pressed, edit_pressed_markup
from handlers.routing import Blueprint
from handlers.stats import publish_button
from tickets.accused import sees_reporter
from tickets.actors import Actor
from tickets.casework import (
    RESULT_PHOTOS_MAX,
    act,
    assign,
    is_empty,
    mark_duplicate,
    parse_find,
    preflight,
    readable_history,
    resolve,
    visible_ticket,
)
from tickets.codes import read_code
from tickets.errors import DomainError, Forbidden
from tickets.findings import (
    PEOPLE_MAX,
    check_sanctions,
    is_substantiated,
    outcome,
    parse_finding,
    parse_people,
)
from tickets.merging import merge, split
from tickets.ports import UpdateWorkspace
from tickets.reply_templates import Purpose, ReplyTemplate
from tickets.states import Action, TicketState
from tickets.template_admin import chosen, offer
from tickets.views import HistoryEntry, TicketView
from tickets.workflow import StaffCommand, action_text
from ui.categories import current_categories
from ui.errors_text import code_problem_text
from ui.keyboards import (
    CARD_BUTTONS,
    DataInt,
    FindingChoice,
    PeopleCount,
    SanctionsDone,
    SanctionToggle,
    TicketAction,
    card_keyboard,
    finding_keyboard,
    people_keyboard,
    sanctions_keyboard,
)
from ui.render import (
    actor_label,
    card_footer,
    card_withdrawn,
    category_label,
    event_label,
    finding_label,
    local_time,
    queue_line,
    role_label,
    sanction_label,
    state_label,
    ticket_card,
)
from ui.reply_templates import TemplatePick, filled, template_keyboard

router = Blueprint(__name__)
router.message.middleware(AccessMiddleware())
router.callback_query.middleware(AccessMiddleware())

PAGE_SIZE = 5
HISTORY_TEXT_MAX = 300
MESSAGE_MAX = 4000
# Refusals after which the pressed card is redrawn as the ticket is now.
REDRAW_CODES = {"stale_card", "illegal_transition"}


class Casework(StatesGroup):
    writing_question = State()
    writing_reason = State()
    naming_original = State()
    naming_target = State()
    choosing_finding = State()
    choosing_actions = State()
    counting_people = State()
    writing_reply = State()
    adding_result_photos = State()


class RouteTo(CallbackData, prefix="trt"):
    ticket_id: DataInt
    department_id: DataInt
    state: str


class AssignTo(CallbackData, prefix="tas"):
    ticket_id: DataInt
    member_id: DataInt
    state: str


class OpenCard(CallbackData, prefix="toc"):
    ticket_id: DataInt
    edit: bool = False


class QueuePage(CallbackData, prefix="tq"):
    page: DataInt


class ReplyPanel(CallbackData, prefix="trp"):
    """Send the prepared reply (with the photos so far), or drop it."""

    ticket_id: DataInt
    send: bool


TEXT_STEPS = {
    Action.ASK: Casework.writing_question,
    Action.REJECT: Casework.writing_reason,
    Action.MARK_DUPLICATE: Casework.naming_original,
    Action.MERGE: Casework.naming_target,
    Action.RESOLVE: Casework.writing_reply,
}


# The text steps a template can fill, and what it is for there.
TEMPLATE_STEPS = {
    Casework.writing_question: Purpose.ASK,
    Casework.writing_reason: Purpose.REJECT,
    Casework.writing_reply: Purpose.RESOLVE,
}


def text_prompt(action: Action, code: str) -> str:
    prompts = {
        Action.ASK: _(
            "Type your question for the reporter of {code}. It is passed on without telling "
            "them who you are, and their answer comes back here without telling you who they are."
        ),
        Action.REJECT: _("Why is {code} rejected? Type the reason; the reporter will read it."),
        Action.MARK_DUPLICATE: _(
            "{code} duplicates which report? Type the tracking code of the original."
        ),
        Action.MERGE: _(
            "Merge {code} into which open report? Type its tracking code. {code} is closed as "
            "its duplicate, and its reporter follows that case without learning its code."
        ),
        Action.RESOLVE: _(
            "Type the official reply for {code}. The reporter receives it, and /status shows it."
        ),
    }
    return prompts[action].format(code=code) + "\n" + _("/cancel to stop.")


# -- rendering ----------------------------------------------------------------------------------


async def card_text(
    ws: UpdateWorkspace, ticket: TicketView, settings: Settings, *, restricted: bool = False
) -> str:
    context = await ws.cases.card_context(ticket)
    last = context.last
    footer = card_footer(
        tz=settings.tz,
        last=(last.kind, last.actor_kind, last.actor_name, last.at) if last else None,
        handler_name=context.handler_name,
        duplicates=context.duplicates,
        original_code=context.original_code,
        supporters=context.supporters,
    )
    return ticket_card(ticket, settings.tz, footer=footer, restricted=restricted)


async def redraw_card(
    bot: Bot,
    ws: UpdateWorkspace,
    settings: Settings,
    ticket: TicketView,
    *,
    chat_id: int,
    message_id: int,
) -> None:
    """Edit a card in place, unless it is an alert the outbox keeps up to date itself."""
    if await ws.cases.is_tracked_card(ticket_id=ticket.id, chat_id=chat_id, message_id=message_id):
        return
    restricted = await ws.notifier.restricted(chat_id, ticket)
    with contextlib.suppress(TelegramBadRequest):  # gone, or already showing this
        await bot.edit_message_text(
            text=await card_text(ws, ticket, settings, restricted=restricted),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=card_keyboard(ticket, restricted=restricted),
        )


async def redraw_pressed(
    query: CallbackQuery, ws: UpdateWorkspace, settings: Settings, ticket_id: int
) -> None:
    ticket = await ws.tickets.get(ticket_id=ticket_id)
    if ticket is not None and isinstance(query.message, Message) and query.bot is not None:
        await redraw_card(
            query.bot,
            ws,
            settings,
            ticket,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )


def history_text(ticket: TicketView, entries: list[HistoryEntry], settings: Settings) -> str:
    lines = []
    for entry in entries:
        head = f"{local_time(entry.at, settings.tz)} · {event_label(entry.kind)} — "
        head += actor_label(entry.actor_kind, entry.actor_name)
        if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
            head += f" ({state_label(entry.from_state)} → {state_label(entry.to_state)})"
        lines.append(head)
        if entry.text:
            text = entry.text
            if len(text) > HISTORY_TEXT_MAX:
                text = text[: HISTORY_TEXT_MAX - 1] + "…"
            lines.append("    " + html.escape(text))
    title = _("<b>History of {code}</b>").format(code=ticket.code)
    body = "\n".join(lines)
    while len(body) > MESSAGE_MAX - len(title) - 64:
        lines = lines[1:]
        body = "…\n" + "\n".join(lines)
    return f"{title}\n{body}"


# -- card buttons -------------------------------------------------------------------------------


def card_action(value: str) -> Action:
    """Only the card's own buttons; anything else in callback data is forged."""
    action = next((a for a in CARD_BUTTONS if a.value == value), None)
    if action is None:
        raise Forbidden("not_staff_action", action=value[:16])
    return action


def pressed(
    query: CallbackQuery, ws: UpdateWorkspace, settings: Settings, ticket_id: int
) -> Refusal:
    """How a refused press on a ticket's card is answered: logged, and the card redrawn."""
    return refusing(
        detail=f"ticket {ticket_id}", then=redraw_if_stale(query, ws, settings, ticket_id)
    )


def redraw_if_stale(
    query: CallbackQuery, ws: UpdateWorkspace, settings: Settings, ticket_id: int
) -> AfterRefusal:
    async def redraw(error: DomainError) -> None:
        if error.code in REDRAW_CODES:
            await redraw_pressed(query, ws, settings, ticket_id)

    return redraw


@router.callback_query(TicketAction.filter(), flags=STAFF)
async def on_card_button(
    query: CallbackQuery,
    callback_data: TicketAction,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    cb = callback_data
    with pressed(query, ws, settings, cb.ticket_id):
        action = card_action(cb.action)
        if action is Action.ACCEPT:
            command = StaffCommand(cb.ticket_id, Action.ACCEPT, expected_state=cb.state)
            ticket = await act(ws, actor, command)
        else:  # check now, before asking for a member or a text
            ticket = await preflight(
                ws, actor, ticket_id=cb.ticket_id, action=action, expected_state=cb.state
            )
    if action is Action.ACCEPT:
        await query.answer(_("✅ Accepted."))
        await redraw_pressed(query, ws, settings, ticket.id)
    elif action is Action.ASSIGN:
        await offer_members(query, ws, ticket)
    elif action is Action.ROUTE:
        await offer_departments(query, ws, ticket)
    elif action is Action.RESOLVE:
        await ask_for_finding(query, state, ticket)
    else:
        await ask_for_text(query, state, ws, ticket, action)


async def offer_members(query: CallbackQuery, ws: UpdateWorkspace, ticket: TicketView) -> None:
    members = await ws.directory.list_members(department_id=ticket.department_id)
    choices = [
        (
            f"👤 {member.display_name} · {role_label(member.role)}",
            AssignTo(ticket_id=ticket.id, member_id=member.id, state=ticket.state),
        )
        for member in members
    ]
    prompt = _("Who should handle {code}?").format(code=ticket.code)
    none = _("This department has no members yet: an administrator can invite them (/dept).")
    await show_choices(query, ticket, choices, prompt, none=none)


async def show_choices(
    query: CallbackQuery,
    ticket: TicketView,
    choices: Sequence[tuple[str, CallbackData]],
    prompt: str,
    *,
    none: str,
) -> None:
    """Swap the card's buttons for one button per choice (at most 20) and a Back;
    with no choice at all, alert `none` instead."""
    if not choices:
        await query.answer(none, show_alert=True)
        return
    rows = [
        [InlineKeyboardButton(text=text, callback_data=data.pack())] for text, data in choices[:20]
    ]
    back = OpenCard(ticket_id=ticket.id, edit=True).pack()
    rows.append([InlineKeyboardButton(text=_("⬅️ Back"), callback_data=back)])
    await query.answer(prompt)
    await edit_pressed_markup(query, InlineKeyboardMarkup(inline_keyboard=rows))


async def start_step(
    query: CallbackQuery, state: FSMContext, ticket: TicketView, action: Action, step: State
) -> None:
    """Enter `step` for `action` on `ticket`, remembering the card it started from."""
    message = query.message
    await state.set_state(step)
    await state.set_data(
        {
            "ticket_id": ticket.id,
            "code": ticket.code,
            "state": ticket.state,
            "action": action.value,
            "card_chat": message.chat.id if isinstance(message, Message) else None,
            "card_message": message.message_id if isinstance(message, Message) else None,
            "category": ticket.category,
            "photos": [],
        }
    )


def reply_markup_for(message: Message) -> ForceReply | None:
    # In a group with privacy mode the bot only sees replies to it: ask for one.
    return ForceReply(selective=True) if message.chat.type != "private" else None


async def ask_for_text(
    query: CallbackQuery,
    state: FSMContext,
    ws: UpdateWorkspace,
    ticket: TicketView,
    action: Action,
) -> None:
    step = TEXT_STEPS[action]
    await start_step(query, state, ticket, action, step)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    purpose = TEMPLATE_STEPS.get(step)
    templates = (
        ()
        if purpose is None
        else await offer(ws.templates, purpose=purpose, category=ticket.category)
    )
    await prompt(query.message, text_prompt(action, ticket.code), ticket.id, templates)


async def prompt(
    message: Message, text: str, ticket_id: int, templates: Sequence[ReplyTemplate]
) -> None:
    """Ask for a text step's text, offering `templates` as buttons when there are any."""
    keyboard = template_keyboard(ticket_id, templates)
    if keyboard is not None and message.chat.type == "private":
        await message.answer(
            text + "\n" + _("📝 Or press a template to use its text."), reply_markup=keyboard
        )
        return
    await message.answer(text, reply_markup=reply_markup_for(message))
    if keyboard is not None:  # a group's prompt asks for a reply: the buttons go below it
        await message.answer(_("📝 Or press a template to use its text."), reply_markup=keyboard)


async def offer_departments(query: CallbackQuery, ws: UpdateWorkspace, ticket: TicketView) -> None:
    departments = [
        d
        for d in await ws.directory.list_departments()
        if d.id != ticket.department_id and not d.archived
    ]
    choices = [
        (
            f"🔀 {department.name}",
            RouteTo(ticket_id=ticket.id, department_id=department.id, state=ticket.state),
        )
        for department in departments
    ]
    prompt = _("Which department should handle {code}?").format(code=ticket.code)
    none = _("There is no other department yet: an administrator can add one (/dept).")
    await show_choices(query, ticket, choices, prompt, none=none)


@router.callback_query(RouteTo.filter(), flags=STAFF)
async def on_route(
    query: CallbackQuery,
    callback_data: RouteTo,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    cb = callback_data
    command = StaffCommand(
        cb.ticket_id, Action.ROUTE, expected_state=cb.state, target_department_id=cb.department_id
    )
    with pressed(query, ws, settings, cb.ticket_id):
        ticket = await act(ws, actor, command)
    await query.answer(
        _("🔀 {code} is routed to {department}.").format(
            code=ticket.code, department=ticket.department_name
        )
    )
    if not isinstance(query.message, Message):
        return
    if await ws.notifier.sees_ticket(query.message.chat.id, ticket):
        await redraw_pressed(query, ws, settings, ticket.id)
        return
    # The chat pressed in stays with the old department: it keeps the code, not the ticket
    # (an alert there gets the same edit from the outbox, which then forgets it).
    await edit_pressed(query, card_withdrawn(ticket.code))


@router.callback_query(AssignTo.filter(), flags=STAFF)
async def on_assign(
    query: CallbackQuery,
    callback_data: AssignTo,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    cb = callback_data
    with pressed(query, ws, settings, cb.ticket_id):
        ticket, member = await assign(
            ws,
            ws.directory,
            ws.notifier,
            actor,
            ticket_id=cb.ticket_id,
            member_id=cb.member_id,
            expected_state=cb.state,
        )
    text = _("👤 {code} is assigned to {name}.").format(code=ticket.code, name=member.display_name)
    await query.answer(text)
    await redraw_pressed(query, ws, settings, ticket.id)


@router.callback_query(OpenCard.filter(), flags=STAFF)
async def on_open_card(
    query: CallbackQuery,
    callback_data: OpenCard,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    with refusing(detail=f"ticket {callback_data.ticket_id}"):
        ticket = await visible_ticket(ws, actor, ticket_id=callback_data.ticket_id)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    restricted = not sees_reporter(actor, ticket)
    text = await card_text(ws, ticket, settings, restricted=restricted)
    markup = card_keyboard(ticket, restricted=restricted)
    if callback_data.edit:
        await edit_pressed(query, text, markup)
    else:
        await query.message.answer(text, reply_markup=markup)


# -- the text steps -------------------------------------------------------------------------

typed_text = F.text & ~F.text.startswith("/")


def step_refusal() -> Refusal:
    """A typo may be retried; a ticket that moved on (or a lost right) ends the step."""
    return refusing(retry_hint="\n" + _("Try again, or /cancel."), ends_step=True)


async def ask_or_reject(
    ws: UpdateWorkspace, actor: Actor, data: dict[str, Any], text: str
) -> tuple[TicketView, str]:
    """Relay the question to the reporter, or reject with the reason."""
    command = StaffCommand(
        ticket_id=data["ticket_id"],
        action=Action(data["action"]),
        expected_state=data["state"],
        text=text,
    )
    ticket = await act(ws, actor, command)
    return ticket, step_done(command.action).format(code=ticket.code)


def step_done(action: Action) -> str:
    done = {
        Action.ASK: _("❓ Your question on {code} was passed on to the reporter."),
        Action.REJECT: _("↩️ {code} is rejected; the reporter has been told why."),
    }
    return done[action]


async def link_to_original(
    ws: UpdateWorkspace, actor: Actor, data: dict[str, Any], code: str
) -> tuple[TicketView, str]:
    """Mark the ticket a duplicate of the one with this code."""
    ticket, original = await mark_duplicate(
        ws, actor, ticket_id=data["ticket_id"], original_code=code, expected_state=data["state"]
    )
    text = _("🔁 {code} is linked to {original}; its reporter will follow that case.")
    return ticket, text.format(code=ticket.code, original=original.code)


async def merge_into_target(
    ws: UpdateWorkspace, actor: Actor, data: dict[str, Any], code: str
) -> tuple[TicketView, str]:
    """Merge the ticket into the one with this code."""
    ticket, target = await merge(
        ws, actor, ticket_id=data["ticket_id"], into_code=code, expected_state=data["state"]
    )
    text = _(
        "🔗 {code} is merged into {target}; its reporter now follows that case. "
        "/split {code} undoes it."
    )
    return ticket, text.format(code=ticket.code, target=target.code)


TypedStep = Callable[
    [UpdateWorkspace, Actor, dict[str, Any], str], Awaitable[tuple[TicketView, str]]
]
# The steps a typed text completes: what it does, and the line that says it is done.
TYPED_STEPS: dict[State, TypedStep] = {
    Casework.writing_question: ask_or_reject,
    Casework.writing_reason: ask_or_reject,
    Casework.naming_original: link_to_original,
    Casework.naming_target: merge_into_target,
}


@router.message(StateFilter(*TYPED_STEPS), typed_text, flags=STAFF)
async def take_text(
    message: Message,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    bot: Bot,
    settings: Settings,
) -> None:
    """A question, a reason or a code typed for the step: act on it, then close the step."""
    data = await state.get_data()
    current = await state.get_state()
    complete = next(f for step, f in TYPED_STEPS.items() if step.state == current)
    with step_refusal():
        ticket, done = await complete(ws, actor, data, message.text or "")
    await finish_step(message, state, ws, bot, settings, ticket, data, done)


@router.message(Command("split"), flags=STAFF)
async def split_ticket(
    message: Message, command: CommandObject, ws: UpdateWorkspace, actor: Actor
) -> None:
    """`/split CODE`: undo a merge; the report is handled on its own again."""
    if not command.args:
        await message.answer(_("Send /split followed by the code of a merged report."))
        return
    with refusing(detail=command.args[:20]):
        ticket, target = await split(ws, actor, code=command.args)
    await message.answer(
        _("✂️ {code} is split off {target} and handled on its own again ({state}).").format(
            code=ticket.code, target=target.code, state=state_label(ticket.state)
        )
    )


# -- resolving: the finding, the actions taken, the people concerned ---------------------------


async def ask_for_finding(query: CallbackQuery, state: FSMContext, ticket: TicketView) -> None:
    await start_step(query, state, ticket, Action.RESOLVE, Casework.choosing_finding)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _("🏁 Resolving {code}. What did the check find?").format(code=ticket.code)
            + "\n"
            + _("/cancel to stop."),
            reply_markup=finding_keyboard(ticket.id),
        )


async def step_data(
    query: CallbackQuery, state: FSMContext, step: State, ticket_id: int
) -> dict[str, Any] | None:
    """The step's data if the press belongs to it; else the press is answered as spent."""
    data = await state.get_data()
    if await state.get_state() != step.state or data.get("ticket_id") != ticket_id:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return None
    return data


def finding_summary(data: dict[str, Any]) -> str:
    """The finding so far, as the panel shows it while the supervisor goes on."""
    lines = [
        _("🏁 Resolving {code}.").format(code=data["code"]),
        _("Finding: {finding}").format(finding=finding_label(data["finding"])),
    ]
    if data.get("actions"):
        actions = _(", ").join(sanction_label(a) for a in data["actions"])
        lines.append(_("Action taken: {actions}").format(actions=actions))
    if data.get("people"):
        lines.append(_("People concerned: {count}").format(count=data["people"]))
    return "\n".join(lines)


async def ask_for_reply(
    query: CallbackQuery, state: FSMContext, ws: UpdateWorkspace, data: dict[str, Any]
) -> None:
    """The finding is complete: on to the official reply."""
    await state.set_state(Casework.writing_reply)
    await query.answer()
    await edit_pressed(query, finding_summary(data))
    if isinstance(query.message, Message):
        await prompt_reply(query.message, ws, data)


async def prompt_reply(message: Message, ws: UpdateWorkspace, data: dict[str, Any]) -> None:
    templates = await offer(
        ws.templates,
        purpose=Purpose.RESOLVE,
        category=data.get("category", ""),
        finding=data.get("finding"),
    )
    await prompt(message, text_prompt(Action.RESOLVE, data["code"]), data["ticket_id"], templates)


@router.callback_query(FindingChoice.filter(), flags=STAFF)
async def on_finding(
    query: CallbackQuery, callback_data: FindingChoice, state: FSMContext, ws: UpdateWorkspace
) -> None:
    cb = callback_data
    if await step_data(query, state, Casework.choosing_finding, cb.ticket_id) is None:
        return
    finding = parse_finding(cb.finding)
    data = await state.update_data(finding=str(finding), actions=[], people=None)
    if not is_substantiated(finding):
        await ask_for_reply(query, state, ws, data)
        return
    await state.set_state(Casework.choosing_actions)
    await query.answer()
    prompt = _("Which actions were taken? Press each that applies, then Done.")
    await edit_pressed(
        query, finding_summary(data) + "\n\n" + prompt, sanctions_keyboard(cb.ticket_id, ())
    )


@router.callback_query(SanctionToggle.filter(), flags=STAFF)
async def on_sanction(
    query: CallbackQuery, callback_data: SanctionToggle, state: FSMContext
) -> None:
    cb = callback_data
    data = await step_data(query, state, Casework.choosing_actions, cb.ticket_id)
    if data is None:
        return
    chosen = set(data.get("actions", [])) ^ {cb.sanction}
    actions = [str(s) for s in check_sanctions(data["finding"], chosen)] if chosen else []
    await state.update_data(actions=actions)
    await query.answer()
    await edit_pressed_markup(query, sanctions_keyboard(cb.ticket_id, actions))


@router.callback_query(SanctionsDone.filter(), flags=STAFF)
async def on_sanctions_done(
    query: CallbackQuery, callback_data: SanctionsDone, state: FSMContext
) -> None:
    cb = callback_data
    data = await step_data(query, state, Casework.choosing_actions, cb.ticket_id)
    if data is None:
        return
    check_sanctions(data["finding"], data.get("actions", []))  # none chosen: refused
    await state.set_state(Casework.counting_people)
    await query.answer()
    prompt = _("How many people are concerned? Their names are never asked for.")
    await edit_pressed(
        query, finding_summary(data) + "\n\n" + prompt, people_keyboard(cb.ticket_id)
    )


@router.callback_query(PeopleCount.filter(), flags=STAFF)
async def on_people(
    query: CallbackQuery, callback_data: PeopleCount, state: FSMContext, ws: UpdateWorkspace
) -> None:
    cb = callback_data
    if await step_data(query, state, Casework.counting_people, cb.ticket_id) is None:
        return
    if cb.people == 0:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(
                _("Type the number of people concerned (1–{maximum}).").format(maximum=PEOPLE_MAX),
                reply_markup=reply_markup_for(query.message),
            )
        return
    data = await state.update_data(people=parse_people(cb.people))
    await ask_for_reply(query, state, ws, data)


@router.message(Casework.counting_people, typed_text, flags=STAFF)
async def take_people(message: Message, state: FSMContext, ws: UpdateWorkspace) -> None:
    with step_refusal():
        people = parse_people(message.text)
    data = await state.update_data(people=people)
    await state.set_state(Casework.writing_reply)
    await message.answer(finding_summary(data))
    await prompt_reply(message, ws, data)


@router.message(Casework.writing_reply, typed_text, flags=STAFF)
async def take_reply(message: Message, state: FSMContext) -> None:
    await note_reply(message, state, message.text)


async def note_reply(
    message: Message, state: FSMContext, text: str | None, *, quoted: bool = False
) -> None:
    """Keep the official reply (typed, or a template's), then wait for result photos."""
    reply = action_text(Action.RESOLVE, text)  # a ValidationError keeps the step
    data = await state.update_data(reply=reply, photos=[])
    await state.set_state(Casework.adding_result_photos)
    quote = html.escape(reply or "") + "\n\n" if quoted else ""
    await message.answer(
        quote + _("Reply noted. Add photos of the result if you have any, then press Send reply."),
        reply_markup=reply_panel(int(data["ticket_id"])),
    )


@router.callback_query(TemplatePick.filter(), flags=STAFF)
async def on_template(
    query: CallbackQuery,
    callback_data: TemplatePick,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    bot: Bot,
    settings: Settings,
) -> None:
    """A template pressed under a prompt: its filled text, as if it had been typed."""
    data = await state.get_data()
    step = await state.get_state()
    purpose = next((p for s, p in TEMPLATE_STEPS.items() if s.state == step), None)
    message = query.message
    if (
        purpose is None
        or data.get("ticket_id") != callback_data.ticket_id
        or not isinstance(message, Message)
    ):
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    ticket, text = await template_text(ws, actor, settings, callback_data, purpose, data)
    await query.answer()
    if purpose is Purpose.RESOLVE:
        await note_reply(message, state, text, quoted=True)
        return
    with refusing(detail=f"ticket {ticket.id}", ends_step=True):
        ticket, done = await ask_or_reject(ws, actor, data, text)
    await finish_step(
        message, state, ws, bot, settings, ticket, data, done + "\n\n" + html.escape(text)
    )


async def template_text(
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
    pick: TemplatePick,
    purpose: Purpose,
    data: dict[str, Any],
) -> tuple[TicketView, str]:
    """The ticket and the pressed template's text, filled from it."""
    with refusing(detail=f"ticket {pick.ticket_id}", ends_step=True):
        ticket = await visible_ticket(ws, actor, ticket_id=pick.ticket_id)
    # A template retired since the prompt: the step stays, for another or a typed text.
    with refusing(detail=f"template {pick.template_id}", logged=(Forbidden,)):
        template = await chosen(
            ws.templates,
            template_id=pick.template_id,
            purpose=purpose,
            category=ticket.category,
            finding=data.get("finding"),
        )
    return ticket, filled(template, ticket, settings.tz, finding=data.get("finding"))


def reply_panel(ticket_id: int) -> InlineKeyboardMarkup:
    send = ReplyPanel(ticket_id=ticket_id, send=True).pack()
    drop = ReplyPanel(ticket_id=ticket_id, send=False).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("📤 Send reply"), callback_data=send),
                InlineKeyboardButton(text=_("✖️ Cancel"), callback_data=drop),
            ]
        ]
    )


@router.message(Casework.adding_result_photos, F.photo, flags=STAFF)
async def add_result_photo(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    photos = list(data.get("photos", []))
    if len(photos) >= RESULT_PHOTOS_MAX:
        await message.answer(
            _("At most {maximum} photos per report.").format(maximum=RESULT_PHOTOS_MAX)
        )
        return
    assert message.photo
    photos.append(message.photo[-1].file_id)
    await state.update_data(photos=photos)
    await message.answer(
        _("Photo {count} added. Press Send reply when you are done.").format(count=len(photos)),
        reply_markup=reply_panel(int(data["ticket_id"])),
    )


@router.callback_query(ReplyPanel.filter(), flags=STAFF)
async def on_reply_panel(
    query: CallbackQuery,
    callback_data: ReplyPanel,
    state: FSMContext,
    ws: UpdateWorkspace,
    actor: Actor,
    bot: Bot,
    settings: Settings,
) -> None:
    data = await step_data(query, state, Casework.adding_result_photos, callback_data.ticket_id)
    if data is None:
        return
    if not callback_data.send:
        await state.clear()
        await query.answer(_("Cancelled."))
        if isinstance(query.message, Message):
            await query.message.edit_text(_("Cancelled: nothing was sent."))
        return
    with refusing(detail=f"ticket {data['ticket_id']}", ends_step=True):
        ticket = await resolve(
            ws,
            ws.notifier,
            actor,
            ticket_id=callback_data.ticket_id,
            outcome=outcome(data["finding"], data.get("actions", []), data.get("people")),
            reply=data["reply"],
            photo_file_ids=data.get("photos", []),
            expected_state=data["state"],
        )
    await state.clear()
    await query.answer(_("🏁 Resolved."))
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("🏁 {code} is resolved; the reply was sent to the reporter.").format(
                code=ticket.code
            )
        )
    await redraw_saved_card(bot, ws, settings, ticket, data)


@router.message(
    StateFilter(Casework.writing_question, Casework.writing_reason, Casework.naming_original),
    flags=STAFF,
)
@router.message(Casework.writing_reply, flags=STAFF)
async def text_expected(message: Message) -> None:
    await message.answer(_("Please type it as text, or /cancel."))


@router.message(StateFilter(Casework.choosing_finding, Casework.choosing_actions), flags=STAFF)
async def buttons_expected(message: Message) -> None:
    await message.answer(_("Please choose with the buttons, or /cancel."))


@router.message(Casework.counting_people, flags=STAFF)
async def number_expected(message: Message) -> None:
    await message.answer(
        _("Type the number of people concerned (1–{maximum}).").format(maximum=PEOPLE_MAX)
    )


@router.message(Casework.adding_result_photos, flags=STAFF)
async def photo_expected(message: Message) -> None:
    await message.answer(_("Send photos of the result, or press Send reply."))


async def finish_step(
    message: Message,
    state: FSMContext,
    ws: UpdateWorkspace,
    bot: Bot,
    settings: Settings,
    ticket: TicketView,
    data: dict[str, Any],
    text: str,
) -> None:
    """Forget the step, say it is done, then redraw the card it started from."""
    await state.clear()
    await message.answer(text)
    await redraw_saved_card(bot, ws, settings, ticket, data)


async def redraw_saved_card(
    bot: Bot, ws: UpdateWorkspace, settings: Settings, ticket: TicketView, data: dict[str, Any]
) -> None:
    if data.get("card_chat") is not None and data.get("card_message") is not None:
        await redraw_card(
            bot,
            ws,
            settings,
            ticket,
            chat_id=int(data["card_chat"]),
            message_id=int(data["card_message"]),
        )


# -- /queue, /ticket, /find -------------------------------------------------------------------


def scope(actor: Actor) -> frozenset[int] | None:
    """Administrators see every department; members their own ones."""
    return None if actor.is_admin else actor.department_ids()


async def queue_page(
    ws: UpdateWorkspace, actor: Actor, settings: Settings, *, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    tickets, total = await ws.cases.open_queue(
        department_ids=scope(actor), offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not tickets:
        return (_("No open tickets. 🎉") if page == 0 else _("No more tickets.")), None
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    lines = [
        _("<b>Open tickets</b> · {total} · page {page}/{pages}").format(
            total=total, page=page + 1, pages=pages
        ),
        _("Oldest deadline first. 🟥 red card · 🟨 yellow card · ⏰ overdue"),
        "",
    ]
    now = ws.clock.now()
    lines += [queue_line(ticket, settings.tz, now) for ticket in tickets]
    rows = [
        [
            InlineKeyboardButton(
                text=f"{ticket.code} · {state_label(ticket.state)}",
                callback_data=OpenCard(ticket_id=ticket.id).pack(),
            )
        ]
        for ticket in tickets
    ]
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text=_("⬅️ Previous"), callback_data=QueuePage(page=page - 1).pack()
            )
        )
    if page + 1 < pages:
        paging.append(
            InlineKeyboardButton(text=_("Next ➡️"), callback_data=QueuePage(page=page + 1).pack())
        )
    if paging:
        rows.append(paging)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("queue"), flags=STAFF)
async def show_queue(
    message: Message, ws: UpdateWorkspace, actor: Actor, settings: Settings
) -> None:
    text, markup = await queue_page(ws, actor, settings, page=0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(QueuePage.filter(F.page >= 0), flags=STAFF)
async def turn_queue_page(
    query: CallbackQuery,
    callback_data: QueuePage,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    text, markup = await queue_page(ws, actor, settings, page=callback_data.page)
    await query.answer()
    await edit_pressed(query, text, markup)


@router.message(Command("ticket"), in_private, flags=STAFF)
async def show_ticket(
    message: Message,
    command: CommandObject,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    reading = read_code(command.args or "")
    code = reading.code
    if code is None and command.args:
        await message.answer(code_problem_text(reading))
        return
    if code is None:
        await message.answer(
            _("Send /ticket followed by a tracking code, e.g. /ticket SR-7K3Q-9XPA-X.")
        )
        return
    with refusing(detail=code, logged=(Forbidden,)):  # a mistyped code is no attack
        ticket = await visible_ticket(ws, actor, code=code)
    restricted = not sees_reporter(actor, ticket)
    entries = readable_history(actor, ticket, await ws.cases.history(ticket_id=ticket.id))
    await message.answer(history_text(ticket, entries, settings))
    markup = card_keyboard(ticket, restricted=restricted)
    if actor.is_admin and settings.public_channel_id and ticket.state == TicketState.CLOSED:
        # A closed case can go to the transparency channel, from its own card (which has
        # no action left, only "View real-name info" on a real-name ticket).
        rows = [[publish_button(ticket.id)], *(markup.inline_keyboard if markup else [])]
        markup = InlineKeyboardMarkup(inline_keyboard=rows)
    await message.answer(
        await card_text(ws, ticket, settings, restricted=restricted), reply_markup=markup
    )


def find_usage() -> str:
    categories = ", ".join(f"<code>{c.slug}</code>" for c in current_categories())
    states = ", ".join(f"<code>{s.value}</code>" for s in TicketState)
    return "\n".join(
        [
            _("<b>Find tickets</b>: /find followed by any of"),
            _("• a category: {values}").format(values=categories),
            _("• a state: {values}").format(values=states),
            _("• a day or a range: 2026-11-23, 2026-11-01..2026-11-30"),
            _("Example: /find idle new 2026-11-23"),
        ]
    )


@router.message(Command("find"), in_private, flags=STAFF)
async def find(
    message: Message,
    command: CommandObject,
    ws: UpdateWorkspace,
    actor: Actor,
    settings: Settings,
) -> None:
    with refusing(retry_hint="\n\n" + find_usage()):
        query = parse_find((command.args or "").split(), settings.tz, current_categories())
    if is_empty(query):
        await message.answer(find_usage())
        return
    tickets, total = await ws.cases.find(department_ids=scope(actor), query=query)
    if not tickets:
        await message.answer(_("No tickets match."))
        return
    lines = [_("<b>{total} ticket(s) found</b>").format(total=total)]
    if total > len(tickets):
        lines.append(_("The newest {count} are shown.").format(count=len(tickets)))
    lines += [
        f"<code>{t.code}</code> · {state_label(t.state)} · {local_time(t.created_at, settings.tz)}"
        f" · {category_label(t.category)}"
        for t in tickets
    ]
    lines.append(_("Open one with /ticket CODE."))
    await message.answer("\n".join(lines))


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
