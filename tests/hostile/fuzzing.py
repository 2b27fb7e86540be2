"""The stateful fuzzer's world and steps: people who chat, what they may do, and the checks.

Each hypothesis example gets a `Session`: a fresh emulator, a fresh bot on a new SQLite
file with the clock at `START`, three citizens, a supervisor of the intake department, a
supervisor of another department and the administrator, every chat opened with /start.
A step is a frozen dataclass (its repr is what a falsifying example prints) whose `run`
does what a person or the clock does, then waits until the bot has handled it and sent
what it owes now, so each step sees the same chats in every run.

Most steps are `Move`s: a legal action on a ticket, the forward ones at small `choice`s,
so short sequences already reach resolved, closed and reopened tickets; the other steps
add refused, forged and stale presses, typing, commands and time passing around them.

Tickets and buttons are named by index (`ticket=1`: the second ticket filed, modulo how
many exist; `nth=0`: the newest inline button of the chat), so any generated step applies
to whatever the sequence has built so far, and shrinking keeps sequences meaningful.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, MutableMapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import structlog
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from handlers.praise import PraiseNav
from handlers.reporter import Nav
from handlers.status import JoinedStatus
from storage.models import OutboxMessage, Ticket, TicketEvent
from tests.conftest import (
    ADMIN_ID,
    RATE_SCALE,
    START,
    SUPERVISOR_ID,
    emulated_settings,
    stop_or_explain,
)
from tests.conversations.staff import add_member, deliver, intake_id, prefer_language
from tests.conversations.steps import code_of, to_preview
from tests.factories import add_department
from tests.hostile.conftest import CrashWatch
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock
from tickets.states import PERFORMERS, Action, ActorKind, TicketState, is_final, transition
from ui.keyboards import (
    FindingChoice,
    Moderate,
    PeopleCount,
    ReporterReply,
    SanctionsDone,
    SanctionToggle,
    SupporterSurveyAnswer,
    SurveyAnswer,
    TicketAction,
    card_actions,
)
from ui.reply_templates import TemplatePick

Staff = Literal["intake", "other", "admin"]
CITIZENS = 3
# How long a step may take before the example fails as hung (a press waits 5 s at most).
STEP_LIMIT = 60.0
# Rounds of "move the clock to the next retry and deliver" before a waiting row is stuck.
DRAIN_ROUNDS = 6

# Event kinds that move a ticket, and the action of the transition table each one is.
STATE_EVENTS: dict[str, Action] = {
    **{str(a): a for a in Action if ActorKind.MEMBER in PERFORMERS[a]},
    "rated": Action.CLOSE,
    "reopened": Action.REOPEN,
    "auto_closed": Action.AUTO_CLOSE,
}
SUBMITTED = "submitted"
MERGE, SPLIT = str(Action.MERGE), str(Action.SPLIT)
NO_TICKET = 999_999
RATINGS = ("satisfied", "fair", "unsatisfied")
# Findings that go on to the actions taken and the people concerned.
SANCTIONED = ("substantiated", "partly")
# Card actions, the ones that move a ticket towards its end first: `Move(choice=0)` does.
FORWARD = (
    Action.ACCEPT,
    Action.RESOLVE,
    Action.ASSIGN,
    Action.ASK,
    Action.ROUTE,
    Action.REJECT,
    Action.MARK_DUPLICATE,
    Action.MERGE,
)
# Texts too long to read in a falsifying example, by the name it shows instead.
SPELLED_OUT = {"<4000 x>": "x" * 4000}


@dataclass
class Session:
    """One example's bot, people and records of what the checks need."""

    emulator: EmulatorServer
    app: SnapreportApp
    client: EmulatorClient
    clock: ManualClock
    citizens: list[ChatUser]
    staff: dict[str, ChatUser]
    watch: CrashWatch
    # structlog's lines, captured; aiogram's and aiohttp's error records.
    log_lines: list[MutableMapping[str, Any]] = field(default_factory=list)
    stdlib_errors: list[str] = field(default_factory=list)
    # Every tracking code a citizen was given, and which citizen it was.
    filers: dict[str, int] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)

    # -- doing --------------------------------------------------------------------------------

    async def press(self, user: ChatUser, data: CallbackData | str) -> None:
        """Press a button carrying `data` on the newest bot message: real or forged alike."""
        messages = [m for m in await user.messages() if m.from_bot]
        packed = data.pack() if isinstance(data, CallbackData) else data
        await self._press(user, messages[-1].message_id, packed)

    async def press_nth(self, user: ChatUser, nth: int) -> None:
        """Press the `nth` inline button of the chat counting from the newest (old ones too:
        a stale button is still on screen); nothing when the chat has none."""
        buttons = [
            (message.message_id, button.callback_data)
            for message in reversed(await user.messages())
            if message.from_bot
            for button in message.inline_buttons
            if button.callback_data
        ]
        if buttons:
            message_id, data = buttons[nth % len(buttons)]
            assert data is not None
            await self._press(user, message_id, data)

    async def press_card(self, user: ChatUser, ticket: Ticket, action: str) -> None:
        """Press the ticket's card button for `action` if the chat shows one, else forge it
        with the ticket's current state (refused when the state does not offer it)."""
        prefix = f"t:{ticket.id}:{action}:"
        for message in reversed(await user.messages()):
            for button in message.inline_buttons if message.from_bot else []:
                if button.callback_data and button.callback_data.startswith(prefix):
                    await self._press(user, message.message_id, button.callback_data)
                    return
        assert ticket.id is not None
        await self.press(
            user, TicketAction(ticket_id=ticket.id, action=action, state=ticket.state)
        )

    async def _press(self, user: ChatUser, message_id: int, data: str) -> None:
        answer = await self.client.press(user.id, user.chat_id, message_id, data)
        await self.settle()
        if not answer.answered:
            self.unanswered.append(f"{data!r} pressed by {user.user.first_name}")

    async def say(self, user: ChatUser, text: str) -> None:
        text = SPELLED_OUT.get(text, text)
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            await user.command(command, args)
        else:
            await user.send(text)
        await self.settle()

    async def settle(self) -> None:
        """Wait until the bot took every update in and handled it, and sent what is due."""
        world = self.emulator.state.world(self.emulator.token)
        assert world is not None
        # Confirmed by the next getUpdates, after the lanes got them (no event says so).
        while len(world.updates):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        await self.app.lanes.idle()
        await self.app.album_panels.wait_idle()
        assert self.app.scheduler is not None
        await self.app.scheduler.dispatcher.send_due()

    # -- reading ------------------------------------------------------------------------------

    async def offered(self, user: ChatUser, label: str) -> bool:
        """Whether the bot's newest message in the chat has a button saying `label`."""
        messages = [m for m in await user.messages() if m.from_bot]
        return bool(messages) and any(label in b.text for b in messages[-1].inline_buttons)

    async def tickets(self) -> list[Ticket]:
        async with self.app.session_factory() as session:
            return list(await session.scalars(select(Ticket).order_by(col(Ticket.id))))

    async def ticket(self, index: int) -> Ticket | None:
        """The `index`-th ticket filed (modulo how many there are), None before the first."""
        tickets = await self.tickets()
        return tickets[index % len(tickets)] if tickets else None

    async def ticket_id(self, index: int) -> int:
        """The `index`-th ticket's id, or one no ticket has before the first is filed."""
        ticket = await self.ticket(index)
        return ticket.id if ticket and ticket.id else NO_TICKET

    async def citizen(self, citizen: int | None, ticket: int) -> ChatUser:
        """Citizen number `citizen`, or (None) the one who filed the `ticket`-th ticket."""
        if citizen is None:
            citizen = self.filers.get(await self.code(ticket), 0)
        return self.citizens[citizen]

    async def code(self, index: int) -> str:
        ticket = await self.ticket(index)
        return ticket.code if ticket else "SR-0000-0000-0"

    # -- checking -----------------------------------------------------------------------------

    async def check_step(self) -> None:
        """What must hold after every step: nothing crashed, every press was answered,
        every ticket's events replay to its state."""
        await self.watch.check(self.app)
        errors = self.logged_errors()
        assert errors == [], "errors were logged:\n" + "\n".join(errors)
        assert self.unanswered == [], "presses left unanswered: " + ", ".join(self.unanswered)
        for ticket in await self.tickets():
            assert ticket.id is not None
            replayed = replay(ticket.code, await self.events(ticket.id))
            assert replayed == ticket.state, (
                f"{ticket.code} is {ticket.state}, events say {replayed}"
            )

    def logged_errors(self) -> list[str]:
        return self.stdlib_errors + [_line(line) for line in self.log_lines if _is_error(line)]

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        async with self.app.session_factory() as session:
            statement = select(TicketEvent).where(col(TicketEvent.ticket_id) == ticket_id)
            return list(await session.scalars(statement.order_by(col(TicketEvent.id))))

    async def drain(self) -> None:
        """Deliver until no row waits: moving the clock to each retry, a few rounds at most."""
        for _ in range(DRAIN_ROUNDS):
            await deliver(self.app)
            waiting = [r for r in await self.outbox() if r.state in ("pending", "sending")]
            later = max((r.not_before for r in waiting), default=None)
            if later is None or later <= self.clock.now():
                return
            self.clock.set(later)

    async def outbox(self) -> list[OutboxMessage]:
        async with self.app.session_factory() as session:
            return list(
                await session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            )

    async def check_end(self) -> None:
        """After the bot stopped: every outbox row sent or dead with its reason, and every
        tracking code a citizen was given names a stored ticket."""
        stuck = [
            f"#{row.id} {row.purpose} {row.state} attempts={row.attempts} due={row.not_before}"
            for row in await self.outbox()
            if row.state not in ("sent", "dead") or (row.state == "dead" and not row.last_error)
        ]
        assert stuck == [], "outbox rows neither sent nor visibly dead:\n" + "\n".join(stuck)
        stored = {ticket.code for ticket in await self.tickets()}
        assert set(self.filers) <= stored, f"codes given, not stored: {set(self.filers) - stored}"


def replay(code: str, events: Sequence[TicketEvent]) -> str | None:
    """Fold a ticket's events through the transition table, checking each recorded move."""
    state: TicketState | None = None
    before_merge: TicketState | None = None
    for event in events:
        where = f"{code} event #{event.id} {event.kind}"
        if event.kind == SUBMITTED:
            assert state is None, f"{where}: submitted twice"
            state = TicketState.NEW
        elif event.kind == SPLIT:  # not in the table: back to the state before the merge
            assert state == TicketState.DUPLICATE and before_merge is not None, where
            assert event.from_state == state, f"{where}: from {event.from_state}, was {state}"
            state, before_merge = before_merge, None
        elif event.kind in STATE_EVENTS:
            if event.kind == MERGE:
                before_merge = state
            assert state is not None, f"{where}: before the ticket was submitted"
            assert event.from_state == state, f"{where}: from {event.from_state}, was {state}"
            state = transition(state, STATE_EVENTS[event.kind])
        else:
            assert event.to_state is None, f"{where}: an unknown move to {event.to_state}"
            continue
        assert event.to_state == state, f"{where}: to {event.to_state}, the table says {state}"
    return None if state is None else str(state)


@asynccontextmanager
async def fuzz_session(folder: Path) -> AsyncIterator[Session]:
    """A fresh bot and its people in `folder`, every error log line recorded."""
    emulator = EmulatorServer(EmulatorConfig(rate_scale=RATE_SCALE, seed=7))
    await emulator.start()
    # Filing quotas are other tests' subject; here they would only cut sequences short.
    settings = emulated_settings(
        emulator,
        f"sqlite+aiosqlite:///{folder / 'snapreport.sqlite3'}",
        folder / "media",
        reports_per_hour=1000,
        album_settle_seconds=0.05,  # the debounce of a photo panel, in real seconds
    )
    clock = ManualClock(START)
    app = SnapreportApp(settings, clock=clock)
    stdlib_errors: list[str] = []
    with structlog.testing.capture_logs() as lines, _stdlib_errors(stdlib_errors):
        await app.start()
        try:
            async with EmulatorClient(emulator.url) as client:
                session = await _people(emulator, app, client, clock)
                session.log_lines, session.stdlib_errors = lines, stdlib_errors
                yield session
                await session.drain()
                await session.check_step()
        finally:
            await stop_or_explain(app)
            await emulator.stop()
        errors = session.logged_errors()
        assert errors == [], "errors were logged:\n" + "\n".join(errors)
        try:
            await session.check_end()
        finally:
            await app.engine.dispose()  # the checks' own connections, after the bot's stop


async def _people(
    emulator: EmulatorServer, app: SnapreportApp, client: EmulatorClient, clock: ManualClock
) -> Session:
    citizens = [
        await client.chat_user(first_name=f"Citizen{n}", language_code="en")
        for n in range(CITIZENS)
    ]
    intake = await client.chat_user(user_id=SUPERVISOR_ID, first_name="Sup", language_code="en")
    other = await client.chat_user(first_name="Other", language_code="en")
    admin = await client.chat_user(user_id=ADMIN_ID, first_name="Admin", language_code="en")
    await add_member(app, intake, await intake_id(app))
    await add_member(app, other, await add_department(app.session_factory, "Transport"))
    await prefer_language(app, intake, other, admin, *citizens)
    watch = CrashWatch()
    watch.install(app)
    session = Session(
        emulator,
        app,
        client,
        clock,
        citizens,
        {"intake": intake, "other": other, "admin": admin},
        watch,
    )
    for user in [*citizens, intake, other, admin]:
        await session.say(user, "/start")
    return session


def _is_error(line: MutableMapping[str, Any]) -> bool:
    return line.get("log_level") in ("error", "critical") or line.get("outcome") == "error"


def _line(line: MutableMapping[str, Any]) -> str:
    return " ".join(f"{key}={value!r}" for key, value in line.items())


@contextmanager
def _stdlib_errors(into: list[str]) -> Iterator[None]:
    """aiogram's and aiohttp's own error records (an exception their loops caught)."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            into.append(f"{record.name}: {record.getMessage()}")

    handler = Collect(logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


# -- steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    async def run(self, s: Session) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class File(Step):
    """A citizen files a whole anonymous report (after /cancel, from any state)."""

    citizen: int
    seed: int
    # When open tickets look like the draft: join one (Me too) rather than file.
    me_too: bool = False

    async def run(self, s: Session) -> None:
        citizen = s.citizens[self.citizen]
        await s.say(citizen, "/cancel")
        await citizen.catch_up()
        await to_preview(citizen, seed=self.seed)
        await citizen.press("Confirm")
        await s.settle()
        if await s.offered(citizen, "Me too"):  # another citizen's report of the same photo
            await citizen.press("Me too" if self.me_too else "No, file mine")
            await s.settle()
            if self.me_too:
                return
        s.filers[code_of(await citizen.expect("Tracking code"))] = self.citizen


@dataclass(frozen=True)
class Says(Step):
    """Someone types a text or a command (a draft step, an answer, a reason, /my…)."""

    who: str  # "c0".."c2" or a staff name
    text: str

    async def run(self, s: Session) -> None:
        await s.say(person(s, self.who), self.text)


@dataclass(frozen=True)
class Photo(Step):
    citizen: int
    seed: int

    async def run(self, s: Session) -> None:
        await s.citizens[self.citizen].send_photo(jpeg_bytes(seed=self.seed))
        await s.settle()


@dataclass(frozen=True)
class Tap(Step):
    """Someone presses the `nth` inline button of their chat, newest first."""

    who: str
    nth: int

    async def run(self, s: Session) -> None:
        await s.press_nth(person(s, self.who), self.nth)


@dataclass(frozen=True)
class AboutTicket(Step):
    """Someone types a command naming a ticket's code: /status, /ticket, /find."""

    who: str
    command: str
    ticket: int

    async def run(self, s: Session) -> None:
        await s.say(person(s, self.who), f"/{self.command} {await s.code(self.ticket)}")


@dataclass(frozen=True)
class Survey(Step):
    """A citizen (None: the reporter) answers a ticket's survey, asked or not."""

    citizen: int | None
    ticket: int
    rating: str

    async def run(self, s: Session) -> None:
        data = SurveyAnswer(ticket_id=await s.ticket_id(self.ticket), rating=self.rating)
        await s.press(await s.citizen(self.citizen, self.ticket), data)


@dataclass(frozen=True)
class Relay(Step):
    """A citizen (None: the reporter) presses Reply under a ticket's question and answers."""

    citizen: int | None
    ticket: int

    async def run(self, s: Session) -> None:
        citizen = await s.citizen(self.citizen, self.ticket)
        await s.press(citizen, ReporterReply(ticket_id=await s.ticket_id(self.ticket)))
        await s.say(citizen, "It was at 10:40, window 3")


@dataclass(frozen=True)
class Card(Step):
    """A staff member acts on a ticket's card and gives what the action asks for next.

    `stale` forges the press with that state instead of the ticket's current one.
    """

    who: Staff
    ticket: int
    action: str
    stale: str | None = None
    finding: str = "unverifiable"

    async def run(self, s: Session) -> None:
        ticket = await s.ticket(self.ticket)
        if ticket is None or ticket.id is None:
            return
        user = s.staff[self.who]
        if self.stale is None:
            await s.press_card(user, ticket, self.action)
        else:
            await s.press(
                user, TicketAction(ticket_id=ticket.id, action=self.action, state=self.stale)
            )
        await self._follow_up(s, user, ticket.id)

    async def _follow_up(self, s: Session, user: ChatUser, ticket_id: int) -> None:
        if self.action in ("ask", "reject"):
            await s.say(user, "Please tell us the exact time")
        elif self.action in ("mark_duplicate", "merge"):
            await s.say(user, await s.code(0))
        elif self.action in ("route", "assign"):
            await s.press_nth(user, 0)
        elif self.action == "resolve":
            await s.press(user, FindingChoice(ticket_id=ticket_id, finding=self.finding))
            if self.finding in SANCTIONED:
                await s.press(user, SanctionToggle(ticket_id=ticket_id, sanction="educate"))
                await s.press(user, SanctionsDone(ticket_id=ticket_id))
                await s.press(user, PeopleCount(ticket_id=ticket_id, people=1))
            await s.say(user, "Checked: the clerk was warned")
            await s.press_nth(user, 0)  # "Send reply", when the reply was taken


@dataclass(frozen=True)
class Move(Step):
    """Whoever's turn it is moves a ticket along by a legal action, the `choice`-th of
    those its state offers: a staff member on the card, or the reporter in the survey."""

    who: Staff
    ticket: int
    choice: int
    finding: str = "unverifiable"

    async def run(self, s: Session) -> None:
        ticket = await s.ticket(self.ticket)
        if ticket is None or is_final(TicketState(ticket.state)):
            return
        if ticket.state == TicketState.RESOLVED:
            rating = RATINGS[self.choice % len(RATINGS)]
            await Survey(None, self.ticket, rating).run(s)
            return
        actions = sorted(card_actions(ticket.state), key=FORWARD.index)
        action = str(actions[self.choice % len(actions)])
        await Card(self.who, self.ticket, action, finding=self.finding).run(s)


@dataclass(frozen=True)
class Tick(Step):
    """The scheduler's tick: due follow-ups fire, due messages go out."""

    async def run(self, s: Session) -> None:
        await deliver(s.app)
        await s.settle()


@dataclass(frozen=True)
class Wait(Step):
    """Time passes (past deadlines, reminders, the survey window), then the tick."""

    hours: int

    async def run(self, s: Session) -> None:
        s.clock.advance(timedelta(hours=self.hours))
        await deliver(s.app)
        await s.settle()


def person(s: Session, who: str) -> ChatUser:
    return s.citizens[int(who[1:])] if who.startswith("c") else s.staff[who]


@dataclass(frozen=True)
class Split(Step):
    """A staff member types /split with a ticket's code (merged or not)."""

    who: Staff
    ticket: int

    async def run(self, s: Session) -> None:
        await s.say(s.staff[self.who], f"/split {await s.code(self.ticket)}")


@dataclass(frozen=True)
class Praise(Step):
    """A citizen praises the first unit listed, all the way to Confirm or `steps` of it."""

    citizen: int
    steps: int

    async def run(self, s: Session) -> None:
        citizen = s.citizens[self.citizen]
        await s.say(citizen, "/praise")
        # The first unit, the words, No photos, Confirm: a press, or (None) the words.
        for move in ("press", None, "press", "press")[: self.steps]:
            if move is None:
                await s.say(citizen, "The clerk at window 3 was patient and quick")
            else:
                await s.press_nth(citizen, 0)


# The buttons a forged press imitates (`Forge.kind`), beyond the card's and the survey's.
FORGEABLE = ("svm", "sjn", "md", "tpk", "pr", "rd")
MODERATE_ACTIONS = ("redact", "hide", "photo", "undo", "revert")
FORGED_DRAFT = "forged00"


@dataclass(frozen=True)
class Forge(Step):
    """Someone presses forged data of a newer button on a ticket: a supporter's rating or
    🤝 Status, a moderation step, a reply template, a praise or me-too draft button."""

    who: str
    kind: str
    ticket: int
    number: int

    async def run(self, s: Session) -> None:
        ticket_id, n = await s.ticket_id(self.ticket), self.number
        data: dict[str, CallbackData] = {
            "svm": SupporterSurveyAnswer(ticket_id=ticket_id, rating=RATINGS[n % len(RATINGS)]),
            "sjn": JoinedStatus(ticket_id=ticket_id),
            "md": Moderate(
                action=MODERATE_ACTIONS[n % len(MODERATE_ACTIONS)],
                ticket_id=ticket_id,
                choice="report",
                number=n,
                item=n,
            ),
            "tpk": TemplatePick(ticket_id=ticket_id, template_id=n),
            "pr": PraiseNav(draft=FORGED_DRAFT, action="confirm", value=str(n)),
            "rd": Nav(draft=FORGED_DRAFT, action="join", value=str(ticket_id)),
        }
        await s.press(person(s, self.who), data[self.kind])
