"""The scheduler's take-over: two `snapreport run` replicas, the leading one SIGKILLed.

Exactly one replica runs the scheduler and the outbox dispatcher: the one holding the
leadership lock (a PostgreSQL advisory lock, or a lock file beside a SQLite database). A
replica killed with SIGKILL releases nothing itself; the lock goes with its connection (or
its file descriptor), and the standby, checking every five seconds, must lead within ten
and send what is queued.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from emulator.client import EmulatorClient
from emulator.server import EmulatorServer
from storage.db import create_engine, create_session_factory
from storage.models import OutboxMessage
from tests.crash.botproc import BotProcess
from tests.crash.test_kill9 import bot_env
from tests.front import free_port
from tests.keys import TEST_KEYS

TAKE_OVER_WITHIN = 10.0

pytestmark = pytest.mark.crash


def replica(env: dict[str, str], workdir: Path) -> BotProcess:
    """A webhook-mode replica on its own port (the last one started receives the updates)."""
    port = free_port()
    workdir.mkdir()
    webhook = {"WEBHOOK_URL": f"http://127.0.0.1:{port}", "WEBHOOK_PORT": str(port)}
    return BotProcess(env | webhook, workdir)


def logged(bot: BotProcess, event: str) -> bool:
    return any(line.get("event") == event for line in bot.log_lines())


async def until_logged(bot: BotProcess, event: str, within: float) -> float:
    """Seconds until `bot` logs `event`; fails after `within`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not logged(bot, event):
        assert bot.alive(), bot.tracebacks()
        assert loop.time() - started < within, f"no {event} within {within} s"
        await asyncio.sleep(0.1)  # another process: poll its log
    return loop.time() - started


async def queue_message(database_url: str, chat_id: int, text: str) -> None:
    engine = create_engine(database_url, keys=TEST_KEYS)
    now = datetime.now(UTC)  # the replicas run on the system clock
    try:
        async with create_session_factory(engine)() as session, session.begin():
            session.add(
                OutboxMessage(
                    idempotency_key=f"takeover:{chat_id}",
                    chat_id=chat_id,
                    method="sendMessage",
                    payload={"chat_id": chat_id, "text": text},
                    not_before=now,
                    created_at=now,
                )
            )
    finally:
        await engine.dispose()


async def test_a_killed_leaders_scheduler_is_taken_over_within_ten_seconds(
    emulator: EmulatorServer, client: EmulatorClient, database_url: str, tmp_path: Path
) -> None:
    env = bot_env(emulator, database_url, tmp_path) | {
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_SECRET": secrets.token_urlsafe(32),
    }
    first, second = replica(env, tmp_path / "first"), replica(env, tmp_path / "second")
    try:
        first.start()
        await first.wait_ready()
        await until_logged(first, "scheduler_leading", within=TAKE_OVER_WITHIN)
        second.start()
        await second.wait_ready()
        assert not logged(second, "scheduler_leading")  # one leader at a time

        await asyncio.to_thread(first.kill)
        took = await until_logged(second, "scheduler_leading", within=TAKE_OVER_WITHIN)
        print(f"\nscheduler take-over {took:.1f} s after SIGKILL of the leader")

        # And it does the leader's work: what is queued now is sent.
        user = await client.create_user(first_name="Queued")
        seq = (await client.chat(user.id)).last_seq
        await queue_message(database_url, user.id, "sent by the new leader")
        sent = await client.wait_for_bot_message(user.id, seq, timeout=TAKE_OVER_WITHIN)
        assert [action.message.content for action in sent] == ["sent by the new leader"]
    finally:
        await asyncio.to_thread(first.stop)
        await asyncio.to_thread(second.stop)
