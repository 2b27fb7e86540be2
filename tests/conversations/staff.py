"""Steps and database reads for the staff side: departments, members, tickets made quickly,
button presses with any callback data, security events and the outbox.

Tickets that only set the scene are filed through the domain (`submit_report`) rather than
the chat, so a test spends its time on the part it is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.views import CallbackAnswer, ChatInfo, ChatMessage
from storage.directory import SqlDirectory
from storage.models import IdentityView, OutboxMessage, RoutingRule, SecurityEvent, Ticket
from storage.people import PeopleRepo
from tests import factories
from tests.conversations.steps import file_report
from tests.factories import add_department, report_draft, rows_of
from tickets.actors import Actor
from tickets.findings import Finding, Outcome
from tickets.reports import submit_report
from tickets.states import Action
from tickets.views import CONFIG_CHANGE_PREFIX, NewReport, TicketView
from tickets.workflow import StaffCommand, perform
from ui.keyboards import ReporterReply

DESCRIPTION = "The clerk at window 3 played games on his phone for an hour"
_drafts = iter(range(1, 1_000_000))


async def create_department(admin: ChatUser, name: str) -> int:
    """`/dept add NAME` as `admin`; the new department's id."""
    await admin.command("dept", f"add {name}")
    return department_id_in(await admin.expect("created"))


async def intake_id(app: SnapreportApp) -> int:
    async with app.session_factory() as session, session.begin():
        return await SqlDirectory(session).intake_department_id()


async def add_member(
    app: SnapreportApp, user: ChatUser, department_id: int, role: str = "supervisor"
) -> int:
    return await factories.add_member(
        app.session_factory, user.id, department_id, role=role, display_name=user.user.first_name
    )


async def new_ticket(
    app: SnapreportApp,
    reporter: ChatUser,
    *,
    category: str = "idle",
    source_tag: str | None = None,
    description: str = DESCRIPTION,
    real_name: bool = False,
) -> TicketView:
    """File a report through the domain, as Confirm would (anonymous unless `real_name`)."""
    draft = draft_of(
        reporter,
        category=category,
        source_tag=source_tag,
        description=description,
        real_name=real_name,
    )
    async with app.session_factory() as session, session.begin():
        ws = app.workspace(session)
        with app.i18n.context():
            submission = await submit_report(ws, draft, per_hour=1000)
    return submission.ticket


def draft_of(
    reporter: ChatUser,
    *,
    category: str = "idle",
    source_tag: str | None = None,
    description: str = DESCRIPTION,
    real_name: bool = False,
) -> NewReport:
    """What `reporter` would confirm: anonymous unless `real_name`."""
    return report_draft(
        submit_key=f"test:{next(_drafts)}",
        reporter_user_id=reporter.id,
        category=category,
        description=description,
        source_tag=source_tag,
        anonymous=not real_name,
        real_name=f"{reporter.user.first_name} {reporter.user.last_name or ''}".strip()
        if real_name
        else None,
        phone=reporter.phone_number if real_name else None,
    )


async def staff_action(
    app: SnapreportApp, ticket_id: int, *, action: str, **command: Any
) -> TicketView:
    """Move a ticket as an administrator would (scene setting, not under test); a
    resolution without an `outcome` is recorded as one that could not be verified."""
    admin = Actor(user_id=next(iter(app.settings.admin_ids)), is_admin=True)
    command["action"] = Action(action)
    if command["action"] is Action.RESOLVE:
        command.setdefault("outcome", Outcome(Finding.UNVERIFIABLE))
    async with app.session_factory() as session, session.begin():
        ws = app.workspace(session)
        with app.i18n.context():
            return await perform(ws, admin, StaffCommand(ticket_id=ticket_id, **command))


async def ticket_row(app: SnapreportApp, ticket_id: int) -> Ticket:
    async with app.session_factory() as session:
        ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


async def identity_views(app: SnapreportApp) -> list[IdentityView]:
    """Who looked at a reporter's identity, oldest first."""
    return await rows_of(app.session_factory, IdentityView, col(IdentityView.id))


async def security_events(app: SnapreportApp) -> list[SecurityEvent]:
    """The refusals logged, oldest first (not the configuration changes kept beside them)."""
    return [e for e in await _security_log(app) if not e.kind.startswith(CONFIG_CHANGE_PREFIX)]


async def config_changes(app: SnapreportApp) -> list[tuple[str, str]]:
    """The administrators' configuration changes logged, oldest first: (change, detail)."""
    return [
        (e.kind.removeprefix(CONFIG_CHANGE_PREFIX), e.detail)
        for e in await _security_log(app)
        if e.kind.startswith(CONFIG_CHANGE_PREFIX)
    ]


async def _security_log(app: SnapreportApp) -> list[SecurityEvent]:
    return await rows_of(app.session_factory, SecurityEvent, col(SecurityEvent.id))


async def outbox(app: SnapreportApp, *, ticket_id: int | None = None) -> list[OutboxMessage]:
    async with app.session_factory() as session:
        statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if ticket_id is not None:
            statement = statement.where(col(OutboxMessage.ticket_id) == ticket_id)
        return list(await session.scalars(statement))


async def press_data(user: ChatUser, data: CallbackData | str) -> CallbackAnswer:
    """Press a button carrying `data` on the newest message of the chat, whatever it shows:
    what a forged (or very old) callback looks like to the bot."""
    messages = await user.messages()
    bot_messages = [m for m in messages if m.from_bot] or messages
    assert bot_messages, f"chat {user.chat_id} is empty"
    packed = data.pack() if isinstance(data, CallbackData) else data
    return await user.client.press(user.id, user.chat_id, bot_messages[-1].message_id, packed)


async def open_card(staff: ChatUser, code: str) -> ChatMessage:
    """`/ticket CODE`: the history, then the card with its buttons. Cards of other tickets
    that the outbox sends or edits meanwhile are passed over, not taken for this one."""
    await staff.command("ticket", code)
    await staff.expect("History of")
    for _ in range(10):
        card = await staff.expect("Resolve by")
        if card.content.startswith(code):
            return card
    raise AssertionError(f"no card of {code} in chat {staff.chat_id}")


def identity_of(user: ChatUser) -> list[str]:
    """Everything that would identify a reporter: id, username, names, phone."""
    found = [str(user.id), user.phone_number, user.user.first_name]
    found += [part for part in (user.user.last_name, user.user.username) if part]
    return found


def leaks(texts: Iterable[str], user: ChatUser) -> list[str]:
    return [secret for secret in identity_of(user) for text in texts if secret in text]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def invite_payload_in(message: ChatMessage) -> str:
    match = re.search(r"start=(inv_[A-Za-z0-9_-]+)", message.content)
    assert match, message.content
    return match.group(1)


def department_id_in(message: ChatMessage) -> int:
    match = re.search(r"#(\d+)", message.content)
    assert match, message.content
    return int(match.group(1))


async def deliver(app: SnapreportApp) -> None:
    """Fire due follow-ups and send due outbox rows now: the scheduler's tick, on demand."""
    assert app.scheduler is not None, "the app's scheduler runs the outbox dispatcher"
    await app.scheduler.run_due_once()


async def prefer_language(app: SnapreportApp, *users: ChatUser, language: str = "en") -> None:
    """Store the users' language, as /lang does: notifications are written in it."""
    async with app.session_factory() as session, session.begin():
        for user in users:
            await PeopleRepo(session).set_language(user_id=user.id, language=language)


async def filed_and_alerted(app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser) -> str:
    """Both in English, the citizen files a report and its card reaches the supervisor."""
    await prefer_language(app, supervisor, citizen)
    code = await file_report(citizen)
    await deliver(app)
    await supervisor.expect("Reporter: anonymous")
    return code


async def staff_user(client: EmulatorClient, name: str, **user: Any) -> ChatUser:
    return await client.chat_user(first_name=name, language_code="en", **user)


async def card_in_state(user: ChatUser, ticket: TicketView, state: str) -> ChatMessage:
    """Wait until the ticket's card in the chat is drawn for `state` (its buttons name the
    state they act on): a card sent as new may be edited to its current state later."""
    prefix = f"t:{ticket.id}:"
    while True:
        card = await user.expect(ticket.code)
        data = [b.callback_data or "" for b in card.inline_buttons]
        if any(d.startswith(prefix) and d.endswith(f":{state}") for d in data):
            return card


async def press_card_button(user: ChatUser, ticket_id: int, action: str) -> CallbackAnswer:
    """Press a card's button by what it does, whatever language it is labelled in."""
    prefix = f"t:{ticket_id}:{action}:"
    for message in reversed(await user.messages()):
        for button in message.inline_buttons if message.from_bot else []:
            if button.callback_data and button.callback_data.startswith(prefix):
                return await user.client.press(
                    user.id, user.chat_id, message.message_id, button.callback_data
                )
    raise AssertionError(f"no card button {action!r} for ticket {ticket_id} in {user.chat_id}")


async def accept_on_card(app: SnapreportApp, staff: ChatUser, ticket_id: int) -> None:
    """Press Accept on the ticket's card and wait for the card to say who accepted it."""
    await press_card_button(staff, ticket_id, "accept")
    await deliver(app)
    await staff.expect(f"✅ Accepted — {staff.user.first_name}")


async def ask_reporter(staff: ChatUser, question: str) -> None:
    """Press Ask reporter on the card and type `question` until it is passed on."""
    await staff.press("Ask reporter")
    await staff.expect("Type your question")
    await staff.send(question)
    await staff.expect("was passed on to the reporter")


async def answer_in_chat(
    reporter: ChatUser, ticket_id: int, answer: str, *, passed: str = "was passed on"
) -> None:
    """Press Reply under the question on the ticket and type `answer` until it is passed on."""
    await press_data(reporter, ReporterReply(ticket_id=ticket_id))
    await reporter.expect("Send your answer on")
    await reporter.send(answer)
    await reporter.expect(passed)


async def begin_resolving(
    staff: ChatUser,
    *,
    finding: str = "Cannot be verified",
    actions: Iterable[str] = (),
    people: str | None = None,
) -> None:
    """Press Resolve on the card and record the finding (with the actions taken and the
    people concerned when it is substantiated), up to the official reply's prompt."""
    await staff.press("Resolve")
    await staff.expect("What did the check find?")
    await staff.press(finding)
    if people is not None or actions:
        await staff.expect("Which actions were taken?")
        for action in actions:
            await staff.press(action)
        await staff.press("Done")
        await staff.expect("How many people are concerned?")
        await staff.press(people or "1")
    await staff.expect("Type the official reply")


async def resolve_with_reply(
    staff: ChatUser,
    reply: str,
    *,
    finding: str = "Cannot be verified",
    actions: Iterable[str] = (),
    people: str | None = None,
    photos: Iterable[bytes] = (),
    sent: str = "is resolved",
) -> None:
    """Resolve from the card: record the finding, type the official reply, add the result
    `photos` and send it."""
    await begin_resolving(staff, finding=finding, actions=actions, people=people)
    await staff.send(reply)
    await staff.expect("Reply noted")
    for number, photo in enumerate(photos, start=1):
        await staff.send_photo(photo)
        await staff.expect(f"Photo {number} added")
    await staff.press("Send reply")
    await staff.expect(sent)


async def staff_member(
    app: SnapreportApp,
    client: EmulatorClient,
    name: str,
    department_id: int,
    role: str = "supervisor",
) -> ChatUser:
    """A new English-speaking staff user called `name`, a member of the department."""
    user = await staff_user(client, name)
    await add_member(app, user, department_id, role)
    return user


async def bound_intake_group(
    app: SnapreportApp, client: EmulatorClient, binder: ChatUser, *members: ChatUser
) -> tuple[ChatInfo, ChatUser]:
    """A group "Intake staff" of `binder` and `members`, bound by `binder` (an administrator)
    to the intake department: the group, and the binder's view of it."""
    group = await client.create_group("Intake staff", [binder.id, *(m.id for m in members)])
    in_group = await binder.in_chat(group.id)
    await in_group.command("bind", str(await intake_id(app)))
    await in_group.expect("This group now receives the alerts")
    return group, in_group


async def car_report_beside_vehicle_office(
    app: SnapreportApp, client: EmulatorClient, supervisor: ChatUser, citizen: ChatUser
) -> tuple[int, ChatUser, TicketView]:
    """A car report filed at the intake and its card sent, with Fang supervising a Vehicle
    Office it may be routed to, everyone in English: (the office, Fang, the ticket)."""
    vehicle = await add_department(app.session_factory, "Vehicle Office")
    fang = await staff_member(app, client, "Fang", vehicle)
    await prefer_language(app, supervisor, citizen, fang)
    ticket = await new_ticket(app, citizen, category="car")
    await deliver(app)
    return vehicle, fang, ticket


async def make_department_with_rule(
    app: SnapreportApp, name: str, *, category: str | None = None, tag: str | None = None
) -> int:
    """A department and one routing rule to it (scene setting; /route is tested apart)."""
    department_id = await add_department(app.session_factory, name)
    async with app.session_factory() as session, session.begin():
        session.add(RoutingRule(department_id=department_id, category=category, source_tag=tag))
    return department_id
