"""Two webhook replicas on one database and one Redis, behind a round-robin front.

The front stands in for nginx: each update the emulator delivers goes to the next replica.
A user's updates must still be handled once each and in order, and a lane lock left by a
replica that died must expire so that another replica takes the user's next update.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis
from sqlmodel import col

from bot.app import SnapreportApp
from bot.lanelock import LaneLocks
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from storage.identity import keys_of
from storage.models import InboxUpdate
from tests.conftest import stop_or_explain, webhook_settings
from tests.factories import rows_of
from tests.front import Front, serve
from tests.s3server import free_port
from tickets.clock import ManualClock
from tickets.codes import check_symbol

HELP, USAGE, UNKNOWN = "How to report", "followed by your tracking code", "No report with this"
UNKNOWN_CODE = "SR-7K3Q-9XPA-" + check_symbol("7K3Q9XPA")


@dataclass
class Replicas:
    apps: list[SnapreportApp]
    front: Front
    stopped: set[int] = field(default_factory=set)

    def url(self, app: SnapreportApp) -> str:
        return f"http://127.0.0.1:{app.settings.webhook_port}"

    async def kill(self, app: SnapreportApp) -> None:
        """Take a replica out of the front and stop it (what it was waiting for is left)."""
        self.front.backends.remove(self.url(app))
        self.stopped.add(id(app))
        await stop_or_explain(app)


@pytest.fixture
async def replicas(
    settings: Settings, clock: ManualClock, redis_url: str
) -> AsyncIterator[Replicas]:
    front = Front()
    front_port = free_port()
    runner = await serve(front, front_port)
    apps = []
    for _ in range(2):
        port = free_port()
        configured = webhook_settings(settings, port, front_port=front_port, redis_url=redis_url)
        apps.append(SnapreportApp(configured, clock=clock))
    group = Replicas(apps, front)
    try:
        for app in apps:
            await app.start()
            front.backends.append(group.url(app))
        yield group
    finally:
        for app in apps:
            if id(app) not in group.stopped:
                await stop_or_explain(app)
        await runner.cleanup()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def lane_of(app: SnapreportApp, user: ChatUser) -> str:
    return keys_of(app.engine).lookup_hash(user.id)


async def handled_counts(app: SnapreportApp) -> float:
    return sum(
        sample.value
        for metric in app.metrics.updates.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def stored(app: SnapreportApp) -> list[InboxUpdate]:
    return await rows_of(app.session_factory, InboxUpdate, col(InboxUpdate.update_id))


async def all_handled(app: SnapreportApp, count: int) -> None:
    """Wait until the inbox holds `count` updates, every one marked handled."""
    async with asyncio.timeout(10):
        while True:
            rows = await stored(app)
            if len(rows) == count and all(row.handled_at is not None for row in rows):
                return
            await asyncio.sleep(0.05)  # polling the database, not waiting for time


async def test_one_users_updates_alternating_between_replicas_are_handled_once_each_in_order(
    replicas: Replicas, client: EmulatorClient, redis: Redis
) -> None:
    first, second = replicas.apps
    citizen = await client.chat_user(first_name="Lin", language_code="en")
    said = [("help", "", HELP), ("status", "", USAGE), ("status", UNKNOWN_CODE, UNKNOWN)] * 2

    # A replica busy with this user holds the lane: every update is stored, none handled.
    busy = LaneLocks(redis)
    async with busy.hold(lane_of(first, citizen)):
        assert 0 < await redis.pttl(busy.key(lane_of(first, citizen))) <= busy.lease * 1000
        for command, args, _answer in said:
            await citizen.command(command, args)
        while len(await stored(first)) < len(said):
            await citizen.expect_nothing(within=0.1)
        await citizen.expect_nothing(within=0.3)

    for _command, _args, answer in said:
        await citizen.expect(answer)
    assert replicas.front.delivered == {replicas.url(first): 3, replicas.url(second): 3}
    bot_messages = [m for m in await citizen.messages() if m.from_bot]
    assert len(bot_messages) == len(said)
    await all_handled(second, len(said))  # counted before marked handled: then read
    assert await handled_counts(first) + await handled_counts(second) == len(said)


async def test_a_dead_replicas_lane_lock_expires_and_another_replica_handles_the_lane_in_order(
    replicas: Replicas, client: EmulatorClient, redis: Redis
) -> None:
    first, second = replicas.apps
    citizen = await client.chat_user(first_name="Kai", language_code="en")
    lane = lane_of(first, citizen)
    # What a replica killed mid-handling leaves: its lock, never renewed nor released. Its
    # lease is set running only once the first replica is dead too, so that one cannot take
    # the lane however slowly this machine gets there.
    lock = LaneLocks(redis).key(lane)
    await redis.set(lock, b"killed-replica")

    await citizen.command("status")  # the front sends it to the first replica
    while len(await stored(first)) < 1:
        await citizen.expect_nothing(within=0.1)
    await replicas.kill(first)  # it dies too, its update stored but not handled
    await redis.pexpire(lock, 200)  # the dead lock's last moments of lease
    await citizen.command("help")  # the second replica gets the next update

    await citizen.expect(USAGE)  # the older update first, taken from the inbox
    await citizen.expect(HELP)
    assert replicas.front.delivered == {replicas.url(first): 1, replicas.url(second): 1}
    await all_handled(second, 2)
    assert await handled_counts(second) == 2
    await citizen.expect_nothing(within=0.3)
