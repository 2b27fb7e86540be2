"""Chaos: three webhook replicas on PostgreSQL and Redis, SIGKILLed at random under load.

Three `snapreport run` processes in webhook mode share one PostgreSQL database and one
Redis behind a round-robin front that passes over a replica that is down (nginx's
`proxy_next_upstream error`). While citizens file reports, a replica is killed with
SIGKILL and restarted at once, five times, the scheduler's leader first; once every report
is in, the office resolves them all and the leader is killed once more. Afterwards every
citizen has exactly one ticket and saw its code, every card reached the office (a re-send
inside the outbox's at-least-once window is counted and printed, not hidden), every
survey was sent, no outbox row is stuck, and the Bot API never saw a rate limit broken.

The polling twin, one replica on SQLite killed six times, is `test_kill9.py`.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.server import EmulatorServer
from storage.db import create_engine, create_session_factory
from storage.models import Ticket
from tests.conversations.staff import staff_action
from tests.crash.botproc import BotProcess
from tests.crash.citizens import CrashCitizen
from tests.crash.test_kill9 import (
    ADMIN,
    bot_env,
    cards_per_code,
    check_database,
    outbox_states_when_settled,
    start_reporting,
)
from tests.crash.test_leader_takeover import logged
from tests.front import Front, free_port, serve
from tests.keys import TEST_KEYS
from tests.pgserver import PostgresServer

REPLICAS = 3
# About 3.5 minutes alone on two cores; CHAOS_CITIZENS=30 for a quicker local run.
CITIZENS = int(os.environ.get("CHAOS_CITIZENS", "100"))
KILLS = 5
SEED = 5
FINISH_WITHIN = 600.0
SURVEYS_WITHIN = 90.0  # the follow-up sweep runs every 30 s, and the leader dies once more
# Telegram's rates sped up 4×, not 20× as elsewhere: at 20× a chat's messages are 50 ms
# apart, the same order as the delay three busy processes on two cores add between taking a
# token and the send reaching the Bot API, and the test is about the bot, not that jitter.
RATE_SCALE = 4.0

# Minutes, and longer beside the rest of the suite: its own limits.
pytestmark = [pytest.mark.crash, pytest.mark.hang_limit(900), pytest.mark.timeout(1000)]


class Cluster:
    """The replicas behind one front; kills and restarts keep the front's list as it is."""

    def __init__(self, env: dict[str, str], root: Path, front: Front) -> None:
        self.front = front
        self.replicas: list[BotProcess] = []
        for number in range(REPLICAS):
            port = free_port()
            workdir = root / f"replica-{number}"
            workdir.mkdir()
            self.replicas.append(BotProcess(env | {"WEBHOOK_PORT": str(port)}, workdir))
            front.backends.append(f"http://127.0.0.1:{port}")
        self.kills = 0

    async def start(self) -> None:
        for replica in self.replicas:
            replica.start()
        await asyncio.gather(*(replica.wait_ready() for replica in self.replicas))

    def leader(self) -> BotProcess | None:
        """The replica whose current start leads the scheduler."""
        for replica in self.replicas:
            if replica.alive() and current_start_leads(replica):
                return replica
        return None

    async def kill_and_restart(self, victim: BotProcess) -> None:
        await asyncio.to_thread(victim.kill)
        self.kills += 1
        victim.start()
        await victim.wait_ready()

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()


def current_start_leads(replica: BotProcess) -> bool:
    text = replica.logs[-1].read_text(errors="replace")
    return text.rfind('"scheduler_leading"') > text.rfind('"scheduler_standing_by"')


async def wait_for_leader(cluster: Cluster, within: float = 15.0) -> BotProcess:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (leader := cluster.leader()) is None:
        assert loop.time() < deadline, "no replica leads the scheduler"
        await asyncio.sleep(0.1)  # other processes: poll their logs
    return leader


@pytest.fixture
def rate_scale() -> float:
    return RATE_SCALE


@pytest.fixture
async def cluster(
    emulator: EmulatorServer, pg_server: PostgresServer, redis_url: str, tmp_path: Path
) -> AsyncIterator[Cluster]:
    database_url = pg_server.create_database(f"chaos_{uuid.uuid4().hex[:10]}")
    front = Front()
    front_port = free_port()
    runner = await serve(front, front_port)
    env = bot_env(emulator, database_url, tmp_path) | {
        "WEBHOOK_URL": f"http://127.0.0.1:{front_port}",
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "REDIS_URL": redis_url,
        "SLOW_WRITE_SECONDS": "1",
        "RATE_GLOBAL_PER_SECOND": str(30 * RATE_SCALE),
        "RATE_PRIVATE_PER_SECOND": str(1 * RATE_SCALE),
        "RATE_GROUP_PER_MINUTE": str(20 * RATE_SCALE),
    }
    group = Cluster(env, tmp_path, front)
    try:
        await group.start()
        yield group
    finally:
        await asyncio.to_thread(group.stop)
        await runner.cleanup()


async def chaos(cluster: Cluster, rng: random.Random) -> None:
    """Five kills at 2–6 s intervals, the leader first, then replicas at random."""
    for number in range(KILLS):
        await asyncio.sleep(rng.uniform(2.0, 6.0))  # real time: the crash is the point
        victim = await wait_for_leader(cluster) if number == 0 else rng.choice(cluster.replicas)
        await cluster.kill_and_restart(victim)


async def resolve_all(settings: Settings, codes: list[str]) -> None:
    """The office accepts and resolves every ticket (scene setting, through the domain)."""
    office = SnapreportApp(settings)  # never started: its workspace writes the rows
    try:
        async with office.session_factory() as session:
            ids = [
                ticket.id
                for ticket in await session.scalars(
                    select(Ticket).where(col(Ticket.code).in_(codes))
                )
                if ticket.id is not None
            ]
        for ticket_id in ids:
            await staff_action(office, ticket_id, action="accept")
            await staff_action(office, ticket_id, action="resolve", text="Checked and settled.")
    finally:
        await office.bot.session.close()
        await office.engine.dispose()


async def surveyed(citizens: list[CrashCitizen], within: float) -> list[int]:
    """The citizens whose chat never got the survey's buttons within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        missing = [c.number for c in citizens if not await has_survey(c.user)]
        if not missing or loop.time() > deadline:
            return missing
        await asyncio.sleep(0.5)  # the leader sends them from another process


async def has_survey(user: ChatUser) -> bool:
    return any(
        m.from_bot and any(b.text.endswith("Satisfied") for b in m.inline_buttons)
        for m in await user.messages()
    )


async def test_three_replicas_lose_nothing_through_kills_of_any_replica_and_the_leader(
    cluster: Cluster, client: EmulatorClient, emulator: EmulatorServer
) -> None:
    database_url = cluster.replicas[0].env["DATABASE_URL"]
    admin, citizens, reports = await start_reporting(client, CITIZENS, FINISH_WITHIN)
    await chaos(cluster, random.Random(SEED))
    codes = await asyncio.gather(*reports)

    alerts = await check_database(database_url, citizens, codes)
    cards = await cards_per_code(admin, codes)
    resent = {code: count - 1 for code, count in cards.items() if count > 1}
    assert set(cards) == set(codes), set(codes) - set(cards)
    assert sum(resent.values()) <= cluster.kills  # at most one in-flight row per kill

    settings = Settings(
        _env_file=None,
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_url=database_url,
        admin_ids=frozenset({ADMIN}),
    )
    await resolve_all(settings, codes)
    await cluster.kill_and_restart(await wait_for_leader(cluster))  # the survey's sender
    assert await surveyed(citizens, SURVEYS_WITHIN) == []

    engine = create_engine(database_url, keys=TEST_KEYS)
    try:
        states = await outbox_states_when_settled(create_session_factory(engine))
    finally:
        await engine.dispose()
    stats = await client.stats()
    print(
        f"\nchaos test: {REPLICAS} replicas, {cluster.kills} kills, "
        f"{sum(r.starts for r in cluster.replicas)} starts, {len(codes)} tickets, "
        f"{alerts} alert rows sent, cards re-sent within the at-least-once window: "
        f"{resent or 'none'}, updates per replica: {sorted(cluster.front.delivered.values())}, "
        f"outbox {dict(states)}, limit violations {stats.limit_violations}"
    )
    assert set(states) <= {"sent"}, states
    assert stats.limit_violations == 0
    assert all(logged(r, "bot_started") and r.alive() for r in cluster.replicas)
