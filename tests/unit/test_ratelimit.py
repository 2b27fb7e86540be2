"""The shared limiter keeps Telegram's limits on a virtual clock: nothing here really sleeps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Iterable
from typing import Any

import pytest

from outbox.ratelimit import (
    ChatId,
    RateLimits,
    TelegramRateLimiter,
    TokenBucket,
    chat_key,
    is_group,
)

ALICE, BOB = 1001, 1002
GROUP = -100_200


class VirtualTime:
    """A monotonic clock and an `asyncio.sleep` stand-in that jump straight to the next wake."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, delay: float) -> None:
        self.sleeps += 1
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + delay, next(self._order), wake))
        await wake

    async def run(self, *jobs: Awaitable[float]) -> list[float]:
        """Run `jobs` to the end, moving the clock whenever all of them are asleep."""
        tasks = [asyncio.ensure_future(job) for job in jobs]
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let woken tasks run until they block again
                await asyncio.sleep(0)
            if self._sleepers and not all(task.done() for task in tasks):
                self.now, _, wake = heapq.heappop(self._sleepers)
                if not wake.cancelled():
                    wake.set_result(None)
        return [task.result() for task in tasks]


@pytest.fixture
def clock() -> VirtualTime:
    return VirtualTime()


def limiter_on(clock: VirtualTime, **limits: Any) -> TelegramRateLimiter:
    """A limiter on `clock` at exactly the given rates (no headroom, no global burst)."""
    limits.setdefault("headroom", 1.0)
    limits.setdefault("global_headroom", 1.0)
    limits.setdefault("global_burst", 1)
    return TelegramRateLimiter(RateLimits(**limits), monotonic=clock, sleep=clock.sleep)


def chat_limiter(clock: VirtualTime, **limits: Any) -> TelegramRateLimiter:
    """A limiter whose global bucket never binds, so only the chat limits show."""
    return limiter_on(clock, global_burst=1000, **limits)


def grants_within(
    limiter: TelegramRateLimiter, clock: VirtualTime, chats: Iterable[ChatId], seconds: float
) -> int:
    """Send to `chats` in turn as fast as `reserve` allows; count what went out in time."""
    granted, end = 0, clock.now + seconds
    for chat in chats:
        if wait := limiter.reserve(chat):
            if clock.now + wait >= end:
                break
            clock.advance(wait)
            assert limiter.reserve(chat) == 0.0
        granted += 1
    return granted


# --- TokenBucket -------------------------------------------------------------------------


def test_bucket_starts_full_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3)
    for _ in range(3):
        assert bucket.delay(10.0) == 0.0
        bucket.take(10.0)
    assert bucket.delay(10.0) == pytest.approx(0.5)
    assert bucket.delay(10.5) == 0.0


def test_bucket_grants_an_oversized_request_when_full_then_waits_out_the_debt() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3)
    assert bucket.delay(0.0, cost=10) == 0.0
    bucket.take(0.0, cost=10)
    assert bucket.delay(0.0) == pytest.approx(8.0)  # from -7 tokens back to 1


def test_bucket_settled_at_the_answer_takes_back_what_refilled_in_flight() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3)
    bucket.take(0.0, cost=10)  # an album granted at 0 ...
    bucket.settle(2.0, cost=10)  # ... that reached Telegram only at 2
    assert bucket.delay(2.0) == pytest.approx(8.0)  # its debt counts from the answer


def test_bucket_settle_never_raises_the_level_nor_lifts_a_hold() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3)
    bucket.take(0.0, cost=3)
    bucket.settle(0.5)  # 0.5 tokens refilled, below capacity - 1: nothing to take back
    assert bucket.delay(0.5) == pytest.approx(0.5)
    bucket.hold_until(5.0)
    bucket.settle(1.0)
    assert bucket.delay(1.0) == pytest.approx(4.0)


def test_bucket_hold_blocks_then_allows_exactly_one() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3)
    bucket.hold_until(5.0)
    assert bucket.delay(0.0) == pytest.approx(5.0)
    assert bucket.delay(5.0) == 0.0
    bucket.take(5.0)
    assert bucket.delay(5.0) == pytest.approx(1.0)


def test_bucket_keeps_the_longer_of_two_holds() -> None:
    bucket = TokenBucket(rate=1.0, capacity=1)
    bucket.hold_until(9.0)
    bucket.hold_until(4.0)
    assert bucket.delay(0.0) == pytest.approx(9.0)


def test_bucket_is_idle_only_when_full_and_unheld() -> None:
    bucket = TokenBucket(rate=1.0, capacity=2)
    assert bucket.is_idle(0.0)
    bucket.take(0.0)
    assert not bucket.is_idle(0.5)
    assert bucket.is_idle(1.0)
    bucket.hold_until(3.0)
    assert not bucket.is_idle(2.0)


def test_bucket_rejects_a_capacity_below_one_message() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=1.0, capacity=0.5)


# --- RateLimits and chat kinds -----------------------------------------------------------


def test_scaled_limits_speed_up_rates_but_keep_bursts() -> None:
    fast = RateLimits().scaled(10)
    assert (fast.global_per_second, fast.private_per_second, fast.group_per_minute) == (
        300.0,
        10.0,
        200.0,
    )
    assert (fast.private_burst, fast.group_burst) == (RateLimits().private_burst, 1)


def test_limits_refuse_a_zero_rate() -> None:
    with pytest.raises(ValueError):
        RateLimits(group_per_minute=0)


def test_default_headroom_paces_below_the_published_rate(clock: VirtualTime) -> None:
    limiter = TelegramRateLimiter(RateLimits(private_burst=1, global_burst=1), monotonic=clock)
    defaults = RateLimits()
    assert limiter.reserve(ALICE) == 0.0
    assert limiter.reserve(ALICE) == pytest.approx(1 / defaults.headroom)
    global_gap = 1 / (30 * defaults.global_headroom)  # global 30/s
    assert limiter.reserve(GROUP) == pytest.approx(global_gap)


def test_channels_and_negative_ids_are_groups_and_usernames_ignore_case() -> None:
    assert is_group(-5) and is_group("@news") and not is_group(ALICE)
    assert chat_key("@News") == chat_key("@news")
    assert chat_key("-100200") == GROUP


# --- reserve: the limits -----------------------------------------------------------------


def test_global_rate_caps_the_bot_across_many_chats(clock: VirtualTime) -> None:
    limiter = limiter_on(clock, global_per_second=30.0)
    assert grants_within(limiter, clock, range(1, 1000), seconds=0.99) == 30
    assert limiter.reserve(5000) == pytest.approx(1 / 30)


def test_private_chat_bursts_then_gets_one_per_second(clock: VirtualTime) -> None:
    assert RateLimits().private_burst == 2  # one below Telegram's 3 (see outbox.ratelimit)
    limiter = chat_limiter(clock, private_burst=3)
    assert [limiter.reserve(ALICE) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.reserve(ALICE) == pytest.approx(1.0)
    assert limiter.reserve(BOB) == 0.0  # other chats are not held back
    assert grants_within(limiter, clock, [ALICE] * 100, seconds=9.5) == 9  # at t=1, 2, … 9


def test_group_gets_twenty_per_minute(clock: VirtualTime) -> None:
    limiter = limiter_on(clock)
    assert grants_within(limiter, clock, [GROUP] * 100, seconds=59.9) == 20
    assert grants_within(limiter, clock, ["@Channel"] * 100, seconds=59.9) == 20


def test_reserve_takes_nothing_when_it_refuses(clock: VirtualTime) -> None:
    limiter = limiter_on(clock, private_burst=1)
    assert limiter.reserve(ALICE) == 0.0
    clock.advance(0.1)  # the global bucket (30/s) is full again, Alice's is not
    assert limiter.reserve(ALICE) == pytest.approx(0.9)
    assert limiter.reserve(BOB) == 0.0  # the refusal did not spend a global token


def test_wait_time_answers_without_taking_tokens(clock: VirtualTime) -> None:
    limiter = chat_limiter(clock, private_burst=1)
    assert [limiter.wait_time(ALICE) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.reserve(ALICE) == 0.0
    assert limiter.wait_time(ALICE) == pytest.approx(1.0)


def test_reserve_counts_an_album_item_by_item(clock: VirtualTime) -> None:
    limiter = limiter_on(clock, private_burst=3)
    assert limiter.reserve(ALICE, cost=5) == 0.0
    assert limiter.reserve(ALICE) == pytest.approx(3.0)


# --- penalize ----------------------------------------------------------------------------


def test_penalty_blocks_only_that_chat_then_resumes_without_a_burst(clock: VirtualTime) -> None:
    limiter = limiter_on(clock)
    limiter.penalize(ALICE, retry_after=7)
    assert limiter.reserve(ALICE) == pytest.approx(7.0)
    assert limiter.reserve(BOB) == 0.0
    clock.advance(7.0)
    assert limiter.reserve(ALICE) == 0.0
    assert limiter.reserve(ALICE) == pytest.approx(1.0)


def test_penalty_without_a_chat_blocks_every_chat(clock: VirtualTime) -> None:
    limiter = limiter_on(clock)
    limiter.penalize(None, retry_after=4)
    assert limiter.reserve(ALICE) == pytest.approx(4.0)
    assert limiter.reserve(GROUP) == pytest.approx(4.0)


# --- memory ------------------------------------------------------------------------------


def test_idle_chats_are_forgotten_but_penalties_are_kept(clock: VirtualTime) -> None:
    limiter = chat_limiter(clock)
    for chat in range(1, 1001):
        limiter.reserve(chat)
    limiter.penalize(ALICE, retry_after=600)
    assert limiter.tracked_chats == 1001
    clock.advance(61.0)
    limiter.reserve(BOB)
    assert limiter.tracked_chats == 2  # Alice's penalty and Bob's fresh use
    assert limiter.reserve(ALICE) == pytest.approx(539.0)


# --- acquire -----------------------------------------------------------------------------


async def granted_at(limiter: TelegramRateLimiter, clock: VirtualTime, chat: ChatId) -> float:
    await limiter.acquire(chat)
    return clock.now


async def test_acquire_serves_one_chat_in_order_at_its_rate(clock: VirtualTime) -> None:
    limiter = limiter_on(clock, private_burst=3)
    times = await clock.run(*(granted_at(limiter, clock, ALICE) for _ in range(5)))
    # The burst of 3 is spread by the global 30/s, then Alice's own 1/s takes over.
    assert times == pytest.approx([0.0, 1 / 30, 2 / 30, 1.0, 2.0])
    assert limiter.tracked_chats == 1  # the queue is gone, only the bucket remains


async def test_waiters_for_one_chat_queue_instead_of_stampeding(clock: VirtualTime) -> None:
    limiter = chat_limiter(clock, private_burst=1)
    times = await clock.run(*(granted_at(limiter, clock, ALICE) for _ in range(10)))
    assert times == pytest.approx([float(second) for second in range(10)])
    assert clock.sleeps == 9  # one nap per waiter, not one per waiter per grant


async def test_acquire_does_not_let_a_blocked_chat_hold_up_others(clock: VirtualTime) -> None:
    limiter = limiter_on(clock)
    limiter.penalize(ALICE, retry_after=10)
    times = await clock.run(granted_at(limiter, clock, ALICE), granted_at(limiter, clock, BOB))
    assert times == pytest.approx([10.0, 0.0])


async def test_acquire_shares_the_global_rate_first_come_first_served(
    clock: VirtualTime,
) -> None:
    limiter = limiter_on(clock, global_per_second=2.0)
    times = await clock.run(*(granted_at(limiter, clock, chat) for chat in range(1, 5)))
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5])


async def test_chat_penalized_while_queued_globally_steps_aside(clock: VirtualTime) -> None:
    limiter = limiter_on(clock, global_per_second=1.0)
    assert limiter.reserve(GROUP) == 0.0  # the global token is spent until t=1

    async def flood_alice() -> float:
        await clock.sleep(0.5)
        limiter.penalize(ALICE, retry_after=100)
        return clock.now

    times = await clock.run(
        granted_at(limiter, clock, ALICE), granted_at(limiter, clock, BOB), flood_alice()
    )
    assert times == pytest.approx([100.5, 1.0, 0.5])


async def test_cancelled_waiter_leaves_no_queue_behind(clock: VirtualTime) -> None:
    limiter = limiter_on(clock)
    limiter.penalize(ALICE, retry_after=30)
    waiter = asyncio.ensure_future(limiter.acquire(ALICE))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    clock.advance(91.0)
    limiter.reserve(BOB)
    assert limiter.tracked_chats == 1
