"""Rate limits shared through a real Redis: two replicas' limiters together keep Telegram's.

Each limiter stands for one replica. Time is a clock the test moves (passed to the Lua
script instead of Redis's own), so nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from outbox.ratelimit import ChatId, RateLimits
from outbox.redislimit import RedisRateLimiter

ALICE, BOB = 1001, 1002
GROUP = -100_200


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def replica(redis: Redis, clock: Clock, **limits: Any) -> RedisRateLimiter:
    """One replica's limiter at exactly the given rates (no headroom)."""
    limits.setdefault("headroom", 1.0)
    limits.setdefault("global_headroom", 1.0)
    return RedisRateLimiter(
        redis, RateLimits(**limits), chat_name=str, clock=clock, sleep=clock.sleep
    )


async def sent_within(
    limiters: list[RedisRateLimiter], clock: Clock, chats: list[ChatId], seconds: float
) -> int:
    """The replicas take turns sending to `chats` as fast as Redis allows; count what went
    out before `seconds` had passed."""
    granted, end, turn = 0, clock.now + seconds, 0
    while True:
        limiter = limiters[turn % len(limiters)]
        chat = chats[turn % len(chats)]
        turn += 1
        if wait := await limiter.reserve(chat):
            if clock.now + wait >= end:
                return granted
            clock.now += wait
            assert await limiter.reserve(chat) == 0.0
        granted += 1


async def test_two_replicas_together_send_one_chat_no_faster_than_its_limit(
    redis: Redis, clock: Clock
) -> None:
    pair = [replica(redis, clock, global_burst=1000, private_burst=3) for _ in range(2)]

    sent = await sent_within(pair, clock, [ALICE], seconds=10)

    assert sent == 3 + 9  # the burst of 3, then one a second (alone, each would do as much)


async def test_two_replicas_together_keep_the_bot_wide_rate(redis: Redis, clock: Clock) -> None:
    pair = [replica(redis, clock, global_per_second=30, global_burst=1) for _ in range(2)]
    chats: list[ChatId] = list(range(5000, 5200))

    sent = await sent_within(pair, clock, chats, seconds=2)

    assert sent == 60


async def test_a_flood_wait_seen_by_one_replica_holds_the_chat_for_all(
    redis: Redis, clock: Clock
) -> None:
    first, second = replica(redis, clock), replica(redis, clock)

    await first.flooded(ALICE, retry_after=7)

    assert await second.reserve(ALICE) == pytest.approx(7.0)
    assert await second.reserve(BOB) == 0.0
    assert first.wait_time(ALICE) == pytest.approx(7.0)  # the sender's own hint
    clock.now += 7
    assert await second.reserve(ALICE) == 0.0
    assert await first.reserve(ALICE) == pytest.approx(1.0)  # one message, then the rate


async def test_a_chat_is_charged_again_when_the_call_is_answered(
    redis: Redis, clock: Clock
) -> None:
    first, second = replica(redis, clock, global_burst=1000), replica(redis, clock)

    assert await first.reserve(ALICE, cost=10) == 0.0  # an album granted now ...
    clock.now += 4
    await first.settled(ALICE, cost=10)  # ... answered four seconds later

    assert await second.reserve(ALICE) == pytest.approx(9.0)  # -8 back to 1, from the answer


async def test_groups_share_twenty_a_minute(redis: Redis, clock: Clock) -> None:
    pair = [replica(redis, clock, global_burst=1000) for _ in range(2)]

    sent = await sent_within(pair, clock, [GROUP], seconds=60)

    assert sent == 20


async def test_acquire_waits_for_the_other_replicas_sends(redis: Redis, clock: Clock) -> None:
    first = replica(redis, clock, private_burst=1, global_burst=1000)
    second = replica(redis, clock, private_burst=1, global_burst=1000)
    started = clock.now

    await first.acquire(ALICE)
    await second.acquire(ALICE)
    await first.acquire(ALICE)

    assert clock.now - started == pytest.approx(2.0)


async def test_without_redis_sends_are_paced_in_process(clock: Clock) -> None:
    unreachable = Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    limiter = replica(unreachable, clock, private_burst=1)
    try:
        await limiter.acquire(ALICE)  # falls back rather than refusing to send
        assert limiter.wait_time(ALICE) == 0.0
        assert limiter._fallback.wait_time(ALICE) > 0  # the next one waits, in process
    finally:
        await unreachable.aclose()
