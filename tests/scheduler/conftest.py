"""Fixtures for the scheduler's tests: a migrated SQLite file, the emulator, a paced Bot."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.factory import create_bot
from config.settings import Settings
from emulator.client import EmulatorClient
from emulator.config import EmulatorConfig, FaultShares
from emulator.server import EmulatorServer
from outbox.dispatcher import DispatchConfig, OutboxDispatcher, count_by_state, next_due_at
from outbox.ratelimit import RateLimits, TelegramRateLimiter
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.media import LocalMediaStore, MediaStore
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tests.keys import TEST_KEYS
from tickets.clock import ManualClock

# Monday 3 March 2025, 09:00 in Shanghai: a working day.
START = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
# Telegram's limits, five times faster on both sides, so tests need not wait for them.
RATE_SCALE = 5.0
# Short retries: a test moves the ManualClock past them anyway.
FAST = DispatchConfig(
    poll_interval=0.05,
    concurrency=8,
    max_attempts=6,
    backoff_base=0.5,
    backoff_max=5.0,
    request_timeout=1,
    stop_grace=1.0,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'snapreport.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, keys=TEST_KEYS)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return LocalMediaStore(tmp_path / "media")


@pytest.fixture
def faults() -> FaultShares:
    """No injected faults unless a test overrides this fixture."""
    return FaultShares()


@pytest.fixture
async def emulator(faults: FaultShares) -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig(rate_scale=RATE_SCALE, faults=faults, seed=7))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator.url) as client:
        yield client


@pytest.fixture
def limiter() -> TelegramRateLimiter:
    return TelegramRateLimiter(RateLimits().scaled(RATE_SCALE))


@pytest.fixture
async def bot(emulator: EmulatorServer, limiter: TelegramRateLimiter) -> AsyncIterator[Bot]:
    settings = Settings(_env_file=None, bot_token=emulator.token, telegram_api_url=emulator.url)
    bot = create_bot(settings, limiter)  # the production Bot: every send paced by `limiter`
    yield bot
    await bot.session.close()


MakeDispatcher = Callable[..., OutboxDispatcher]


@pytest.fixture
async def make_dispatcher(
    bot: Bot,
    session_factory: SessionFactory,
    clock: ManualClock,
    limiter: TelegramRateLimiter,
    media: MediaStore,
) -> AsyncIterator[MakeDispatcher]:
    made: list[OutboxDispatcher] = []

    def make(**overrides: Any) -> OutboxDispatcher:
        options: dict[str, Any] = {
            "clock": clock,
            "limiter": limiter,
            "media": media,
            "config": FAST,
        }
        options.update(overrides)
        dispatcher = OutboxDispatcher(bot, session_factory, **options)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        await dispatcher.stop()


async def add_rows(
    session_factory: SessionFactory,
    clock: ManualClock,
    chat_id: int,
    texts: Sequence[str],
    *,
    method: str = "sendMessage",
    purpose: str = "",
    ticket_id: int | None = None,
) -> list[int]:
    """Queue one text message per item of `texts` for `chat_id`; returns the row ids."""
    async with session_factory() as session, session.begin():
        rows = [
            OutboxMessage(
                idempotency_key=f"test:{chat_id}:{index}:{text}",
                chat_id=chat_id,
                method=method,
                payload={"chat_id": chat_id, "text": text},
                purpose=purpose,
                ticket_id=ticket_id,
                not_before=clock.now(),
                created_at=clock.now(),
            )
            for index, text in enumerate(texts)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id or 0 for row in rows]


async def add_row(
    session_factory: SessionFactory,
    clock: ManualClock,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    **fields: Any,
) -> int:
    async with session_factory() as session, session.begin():
        row = OutboxMessage(
            idempotency_key=f"test:{method}:{chat_id}:{len(str(params))}:{id(params)}",
            chat_id=chat_id,
            method=method,
            payload={"chat_id": chat_id, **params},
            not_before=clock.now(),
            created_at=clock.now(),
            **fields,
        )
        session.add(row)
        await session.flush()
        return row.id or 0


async def rows(session_factory: SessionFactory) -> list[OutboxMessage]:
    async with session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def deliver_all(
    dispatcher: OutboxDispatcher,
    session_factory: SessionFactory,
    clock: ManualClock,
    *,
    rounds: int = 200,
) -> int:
    """Send until nothing is pending, moving the clock to each postponed row's time."""
    sent = 0
    for _ in range(rounds):
        sent += await dispatcher.send_due()
        async with session_factory() as session:
            due = await next_due_at(session)
        if due is None:
            return sent
        clock.set(max(clock.now(), due))
    left = [(row.id, row.state) for row in await rows(session_factory) if row.state != "sent"]
    raise AssertionError(f"rows still pending after {rounds} rounds: {left}")


async def deliver_in_background(
    dispatcher: OutboxDispatcher,
    session_factory: SessionFactory,
    clock: ManualClock,
    *,
    within: float = 20.0,
) -> None:
    """Run the dispatcher until every row is sent or dead; whenever the first row of some
    chat waits for a retry, move the clock to it at once (time flies, chats don't queue up
    behind each other's retries as in `deliver_all`)."""
    await dispatcher.start()
    async with asyncio.timeout(within):
        while True:
            async with session_factory() as session:
                states = await count_by_state(session)
                due = await next_due_at(session)
            if set(states) <= {"sent", "dead"}:
                return
            if due is not None and due > clock.now():
                clock.set(due)
                dispatcher.wake()
            await asyncio.sleep(0.02)  # polling for progress, not waiting for a deadline


def jpeg(color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, format="JPEG")
    return buffer.getvalue()


Texts = Callable[[int], Awaitable[list[str]]]


@pytest.fixture
def bot_texts(client: EmulatorClient) -> Texts:
    """What the bot posted in a chat, in order (text or caption)."""

    async def texts(chat_id: int) -> list[str]:
        return [
            message.text or message.caption or ""
            for message in await client.transcript(chat_id)
            if message.from_bot
        ]

    return texts


@dataclass
class Outbox:
    """The outbox over the emulator: its users, queued rows, deliveries and what chats show."""

    client: EmulatorClient
    session_factory: SessionFactory
    clock: ManualClock
    make_dispatcher: MakeDispatcher
    texts: Texts

    async def users(self, count: int) -> list[int]:
        """`count` new emulator users; their ids are their private chats."""
        return [(await self.client.create_user(first_name=f"U{n}")).id for n in range(count)]

    async def queue(self, chat_id: int, texts: Sequence[str], **fields: Any) -> list[int]:
        """Queue one text message per item of `texts` (see `add_rows`)."""
        return await add_rows(self.session_factory, self.clock, chat_id, texts, **fields)

    async def add(self, chat_id: int, method: str, params: dict[str, Any], **fields: Any) -> int:
        """Queue one call of `method` (see `add_row`)."""
        return await add_row(self.session_factory, self.clock, chat_id, method, params, **fields)

    async def deliver(self, dispatcher: OutboxDispatcher | None = None) -> int:
        """Send everything due with `dispatcher` (a new one by default), moving the clock."""
        return await deliver_all(
            dispatcher or self.make_dispatcher(), self.session_factory, self.clock
        )

    async def rows(self) -> list[OutboxMessage]:
        return await rows(self.session_factory)

    async def states(self) -> dict[str, int]:
        async with self.session_factory() as session:
            return await count_by_state(session)


@pytest.fixture
def outbox(
    client: EmulatorClient,
    session_factory: SessionFactory,
    clock: ManualClock,
    make_dispatcher: MakeDispatcher,
    bot_texts: Texts,
) -> Outbox:
    return Outbox(client, session_factory, clock, make_dispatcher, bot_texts)
