"""One limiter for every message the bot sends, so Telegram never has to answer 429.

Telegram allows about 30 messages/s per bot, about 1/s per private chat with short bursts,
and 20/minute per group or channel. Each limit is a token bucket: a global one, and one per
chat created on first use. A message goes out only when both its buckets can pay for it.

Choices:
- A bucket may be overdrawn: a request costing more than the capacity (a 10-photo album to
  a private chat) is granted once the bucket is full, and later requests wait out the debt.
  The long-run rate holds without refusing anything forever.
- Groups default to a burst of 1 (Telegram promises groups no burst); the global bucket to
  5, which absorbs the event loop's timer lateness: with 2, the outbox reached 97.6 % of
  the rate it was allowed, with 5 all of it (bench/outbox_bench.py; with 1, a late timer is
  a lost slot, about 2.5 % at 30/s). Telegram's bot-wide limit is an average ("about 30
  messages per second"), not a one-second window, so a burst of five is well inside it.
- The chat and group buckets refill at `headroom` (97 %) of the published rates, the global
  one at `global_headroom` (99 %). Telegram counts arrivals, not our grants: two sends
  granted exactly 1 s apart can arrive 0.999 s apart, and at a chat's full rate with the
  same burst that is already a 429. The bot-wide average has no such edge; 1 % still
  leaves room for another sender's stray message.
- A private chat's burst is 2, one below Telegram's 3: a burst that reaches Telegram late
  (a busy host, another replica's send still in flight) must not turn the next, prompt
  message into a 429. Measured in the three-replica chaos test (`tests/crash/test_chaos.py`):
  one 429 in about 1,600 sends with a burst of 3 (twice), none with 2.
- A chat's bucket is charged again when the call is answered (`settled`): Telegram counts
  a message when it arrives, and a call that took long to reach it (a ten-photo album
  uploading on a busy host) must not have refilled the bucket on its way. At the answer
  the bucket holds at most `capacity - cost`, as if the tokens had been taken then. The
  chaos test saw a 429 about once in three runs without it: the message after a slow
  album went out when the album's debt, counted from the grant, looked paid.
- After a 429 the bucket grants nothing until `retry_after` has passed, then exactly one
  message, so the send that follows a flood is not itself a burst.
- A full bucket is the same as a fresh one, so full buckets are dropped by a sweep that
  runs at most once a minute: memory follows the chats active in the last few minutes.
- `acquire` queues per chat (FIFO lock), waits for the chat's own limit outside any shared
  lock, then queues for the global bucket, so a slow chat never holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, KeysView
from dataclasses import dataclass, field, replace
from typing import Protocol

import structlog

ChatId = int | str
Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

log = structlog.get_logger(__name__)

_EPSILON = 1e-9  # float slop: a wait computed to the nanosecond must not cost another round
_SWEEP_EVERY = 60.0  # seconds of monotonic time between sweeps of idle chat buckets


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's published limits; bursts are whole messages, rates are per their unit."""

    global_per_second: float = 30.0
    global_burst: int = 5
    private_per_second: float = 1.0
    private_burst: int = 2
    group_per_minute: float = 20.0
    group_burst: int = 1
    headroom: float = 0.97
    global_headroom: float = 0.99

    def __post_init__(self) -> None:
        rates = (self.global_per_second, self.private_per_second, self.group_per_minute)
        if min(rates) <= 0:
            raise ValueError("rate limits must be positive")
        if min(self.global_burst, self.private_burst, self.group_burst) < 1:
            raise ValueError("bursts must allow at least one message")
        if not (0 < self.headroom <= 1 and 0 < self.global_headroom <= 1):
            raise ValueError("headroom is the share of each rate used, in (0, 1]")

    def scaled(self, factor: float) -> RateLimits:
        """Return the same limits with every rate multiplied by `factor` (bursts unchanged)."""
        return replace(
            self,
            global_per_second=self.global_per_second * factor,
            private_per_second=self.private_per_second * factor,
            group_per_minute=self.group_per_minute * factor,
        )


class TokenBucket:
    """Tokens refill continuously at `rate` per second up to `capacity`; time is passed in.

    The bucket keeps its level as of `_stamp`, which is in the future while a hold lasts.
    """

    __slots__ = ("_stamp", "_tokens", "capacity", "rate")

    def __init__(self, rate: float, capacity: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._stamp = -math.inf  # starts full whatever the clock reads

    def delay(self, now: float, cost: float = 1) -> float:
        """Return how long until `cost` tokens may be taken; 0.0 means now."""
        tokens, as_of = self._level(now)
        shortfall = max(0.0, min(cost, self.capacity) - tokens)
        wait = as_of - now + shortfall / self.rate
        return wait if wait > _EPSILON else 0.0

    def take(self, now: float, cost: float = 1) -> None:
        """Take `cost` tokens, overdrawing if needed; call only when `delay` is 0."""
        tokens, as_of = self._level(now)
        self._tokens = tokens - cost
        self._stamp = max(as_of, now)

    def settle(self, now: float, cost: float = 1) -> None:
        """Count the last `cost` tokens as taken `now`, when the call was answered: what
        refilled while it was in flight is taken back (never below the level itself)."""
        tokens, as_of = self._level(now)
        if as_of > now:
            return  # a hold (a 429 meanwhile) already covers it
        self._tokens = min(tokens, self.capacity - cost)
        self._stamp = now

    def hold_until(self, until: float) -> None:
        """Grant nothing before `until`, then one token: resume slowly after a flood."""
        tokens, as_of = self._level(until)
        if as_of > until:
            return  # an existing, longer hold already covers it
        self._tokens = min(tokens, 1.0)
        self._stamp = until

    def is_idle(self, now: float) -> bool:
        """Tell whether the bucket is full and unheld, i.e. as good as a fresh one."""
        tokens, as_of = self._level(now)
        return as_of <= now and tokens >= self.capacity

    def _level(self, now: float) -> tuple[float, float]:
        if now <= self._stamp:
            return self._tokens, self._stamp
        return min(self.capacity, self._tokens + (now - self._stamp) * self.rate), now


def chat_key(chat_id: ChatId) -> ChatId:
    """Normalize a chat id: numeric strings are ids, @usernames are case-insensitive."""
    if isinstance(chat_id, str):
        if chat_id.lstrip("-").isdigit():
            return int(chat_id)
        return chat_id.lower()
    return chat_id


def is_group(chat_id: ChatId) -> bool:
    """Tell groups and channels (negative ids, @usernames) from private chats."""
    return isinstance(chat_id, str) or chat_id < 0


@dataclass(slots=True)
class ChatLane:
    """The queue of callers for one chat; dropped when nobody holds or waits in it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ChatLocks:
    """One lock per chat, kept only while someone holds or waits for it (memory stays
    bounded by the chats busy right now, not by every chat ever served)."""

    def __init__(self) -> None:
        self._lanes: dict[ChatId, ChatLane] = {}

    def keys(self) -> KeysView[ChatId]:
        return self._lanes.keys()

    @contextlib.asynccontextmanager
    async def hold(self, key: ChatId) -> AsyncIterator[None]:
        """Hold `key`'s lock for the body; callers for one chat go in arrival order."""
        lane = self._lanes.setdefault(key, ChatLane())
        lane.users += 1
        try:
            async with lane.lock:
                yield
        finally:
            lane.users -= 1
            if lane.users == 0:
                del self._lanes[key]


class RateLimiter(Protocol):
    """What senders need of a limiter: this process's buckets, or Redis's (`redislimit`)."""

    limits: RateLimits

    def wait_time(self, chat_id: ChatId, cost: int = 1) -> float:
        """Return about how long `cost` messages to `chat_id` would wait now; takes nothing."""
        ...

    async def acquire(self, chat_id: ChatId, cost: int = 1) -> None:
        """Wait until `cost` messages may go to `chat_id`, then take their tokens."""
        ...

    async def settled(self, chat_id: ChatId, cost: int = 1) -> None:
        """Charge the chat again as of now, when a paced call has been answered."""
        ...

    async def flooded(self, chat_id: ChatId | None, retry_after: float) -> None:
        """Honour a 429: block the chat (or, if unknown, every chat) for `retry_after` s."""
        ...


class TelegramRateLimiter:
    """Paces messages by the bot-wide and the per-chat limits; shared by all senders."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._sleep = sleep
        self._global = TokenBucket(
            limits.global_per_second * limits.global_headroom, limits.global_burst
        )
        self._global_lock = asyncio.Lock()
        self._buckets: dict[ChatId, TokenBucket] = {}
        self._lanes = ChatLocks()
        self._next_sweep = -math.inf

    @property
    def tracked_chats(self) -> int:
        """Count the chats the limiter holds state for (a bound on its memory)."""
        return len(self._buckets.keys() | self._lanes.keys())

    def wait_time(self, chat_id: ChatId, cost: int = 1) -> float:
        """Return how long `cost` messages to `chat_id` would wait now; takes nothing."""
        return self._wait(chat_key(chat_id), self._monotonic(), cost)[0]

    def reserve(self, chat_id: ChatId, cost: int = 1) -> float:
        """Take `cost` tokens now and return 0.0, or take nothing and return the wait."""
        now = self._monotonic()
        wait, chat = self._wait(chat_key(chat_id), now, cost)
        if wait:
            return wait
        self._global.take(now, cost)
        chat.take(now, cost)
        return 0.0

    async def acquire(self, chat_id: ChatId, cost: int = 1) -> None:
        """Wait until `cost` messages may go to `chat_id`, then take their tokens."""
        key = chat_key(chat_id)
        async with self._lanes.hold(key):
            while not await self._grant(key, cost):
                pass

    def penalize(self, chat_id: ChatId | None, retry_after: float) -> None:
        """Honour a 429: block the chat (or, if unknown, every chat) for `retry_after` s."""
        now = self._monotonic()
        until = now + retry_after
        if chat_id is None:
            self._global.hold_until(until)
        else:
            self._bucket(chat_key(chat_id), now).hold_until(until)
        log.warning("telegram_flood_wait", retry_after=retry_after, scope_global=chat_id is None)

    def settle(self, chat_id: ChatId, cost: int = 1) -> None:
        """Charge the chat's bucket again as of now (see `TokenBucket.settle`)."""
        now = self._monotonic()
        self._bucket(chat_key(chat_id), now).settle(now, cost)

    async def settled(self, chat_id: ChatId, cost: int = 1) -> None:
        self.settle(chat_id, cost)

    async def flooded(self, chat_id: ChatId | None, retry_after: float) -> None:
        self.penalize(chat_id, retry_after)

    async def _grant(self, key: ChatId, cost: int) -> bool:
        """Wait out the chat's own limit, then queue for the global one; True once granted."""
        while (wait := self._chat_delay(key, cost)) > 0:
            await self._sleep(wait)
        async with self._global_lock:
            while (wait := self.reserve(key, cost)) > 0:
                if self._chat_delay(key, cost) > 0:
                    return False  # penalized meanwhile: wait for it without blocking others
                await self._sleep(wait)
        return True

    def _wait(self, key: ChatId, now: float, cost: int) -> tuple[float, TokenBucket]:
        chat = self._bucket(key, now)
        return max(self._global.delay(now, cost), chat.delay(now, cost)), chat

    def _chat_delay(self, key: ChatId, cost: int) -> float:
        now = self._monotonic()
        return self._bucket(key, now).delay(now, cost)

    def _bucket(self, key: ChatId, now: float) -> TokenBucket:
        self._sweep(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = self._new_bucket(key)
        return bucket

    def _new_bucket(self, key: ChatId) -> TokenBucket:
        limits = self.limits
        if is_group(key):
            return TokenBucket(limits.group_per_minute / 60 * limits.headroom, limits.group_burst)
        return TokenBucket(limits.private_per_second * limits.headroom, limits.private_burst)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY
        for key in [key for key, bucket in self._buckets.items() if bucket.is_idle(now)]:
            del self._buckets[key]
