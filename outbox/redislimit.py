"""Telegram's limits shared by every replica: the token buckets kept in Redis.

Telegram counts a bot's messages, not a process's: three replicas with a limiter each would
send 90 messages/s together. With `REDIS_URL` set the global bucket and each chat's bucket
live in Redis, and one Lua script checks and takes both atomically, so N replicas together
stay within 30 messages/s and 1/s per private chat (20/minute per group). The arithmetic is
`outbox.ratelimit.TokenBucket`'s (start full, overdraw for an oversized album, charge a
chat again when the call is answered, after a 429 nothing until `retry_after` then one
message), on Redis's clock (`TIME`), so replicas'
clocks need not agree; tests pass their own clock instead.

Each bucket is a hash (`t` tokens, `s` the time they are counted at) that expires a minute
after it would be full again: a full bucket is the same as none. Chat keys are named by a
keyed hash of the chat id, never the id. Each process still queues its own sends to one
chat in order (FIFO per chat) before asking Redis.

If Redis does not answer, sends are paced by an in-process limiter with the same limits
(one warning per outage; Redis is asked again after `OUTAGE_RETRY` seconds) rather than not
sent: Telegram's 429s, which block the chat, are the last line.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from outbox.ratelimit import (
    ChatId,
    ChatLocks,
    RateLimits,
    Sleep,
    TelegramRateLimiter,
    chat_key,
    is_group,
)

log = structlog.get_logger(__name__)

KEY_PREFIX = "snapreport:rate:"
_EPSILON = 1e-9
_HINT_SWEEP_EVERY = 60.0
OUTAGE_RETRY = 10.0  # seconds of in-process pacing before Redis is asked again

# The bucket arithmetic of outbox.ratelimit.TokenBucket, for one or two buckets at once.
_COMMON = """
local function clock()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local now = clock()
local function level(key, rate, cap, at)
  local v = redis.call('HMGET', key, 't', 's')
  local tokens, stamp = tonumber(v[1]), tonumber(v[2])
  if tokens == nil then return cap, at end
  if at <= stamp then return tokens, stamp end
  return math.min(cap, tokens + (at - stamp) * rate), at
end
local function store(key, tokens, stamp, rate, cap)
  redis.call('HSET', key, 't', string.format('%.17g', tokens), 's', string.format('%.17g', stamp))
  local full_in = math.max(0, stamp - now) + math.max(0, cap - tokens) / rate
  redis.call('PEXPIRE', key, math.ceil((full_in + 60) * 1000))
end
"""

# KEYS: global, chat. ARGV: now or '', cost, global rate, global burst, chat rate, chat burst.
# Returns the wait in seconds as a string ('0': both buckets paid).
_RESERVE = (
    _COMMON
    + """
local cost = tonumber(ARGV[2])
local buckets = {
  {KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4])},
  {KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6])},
}
local wait = 0
for _, b in ipairs(buckets) do
  local tokens, as_of = level(b[1], b[2], b[3], now)
  b[4], b[5] = tokens, as_of
  local shortfall = math.max(0, math.min(cost, b[3]) - tokens)
  wait = math.max(wait, as_of - now + shortfall / b[2])
end
if wait > 1e-9 then return string.format('%.17g', wait) end
for _, b in ipairs(buckets) do
  store(b[1], b[4] - cost, math.max(b[5], now), b[2], b[3])
end
return '0'
"""
)

# KEYS: the chat's bucket. ARGV: now or '', cost, rate, burst. Charges it again as of now.
_SETTLE = (
    _COMMON
    + """
local rate, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local tokens, as_of = level(KEYS[1], rate, cap, now)
if as_of > now then return 0 end
store(KEYS[1], math.min(tokens, cap - tonumber(ARGV[2])), now, rate, cap)
return 1
"""
)

# KEYS: the bucket. ARGV: now or '', retry_after, rate, burst.
_HOLD = (
    _COMMON
    + """
local rate, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local hold_until = now + tonumber(ARGV[2])
local tokens, as_of = level(KEYS[1], rate, cap, hold_until)
if as_of > hold_until then return 0 end
store(KEYS[1], math.min(tokens, 1), hold_until, rate, cap)
return 1
"""
)


class RedisRateLimiter:
    """`outbox.ratelimit.RateLimiter` with its buckets in Redis, shared by every replica."""

    def __init__(
        self,
        redis: Redis,
        limits: RateLimits,
        *,
        chat_name: Callable[[ChatId], str],
        clock: Callable[[], float] | None = None,
        sleep: Sleep = asyncio.sleep,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.limits = limits
        self._redis = redis
        self._chat_name = chat_name
        self._clock = clock
        self._local_time = clock or time.monotonic
        self._sleep = sleep
        self._prefix = prefix
        self._reserve = redis.register_script(_RESERVE)
        self._hold = redis.register_script(_HOLD)
        self._settle = redis.register_script(_SETTLE)
        self._lanes = ChatLocks()
        # What this process last learned of each chat's wait: `wait_time` answers from it
        # without a round trip (the outbox uses it only to put a busy chat aside).
        self._hints: dict[ChatId, float] = {}
        self._next_sweep = -math.inf
        self._fallback = TelegramRateLimiter(limits, sleep=sleep)
        self._redis_down = False
        self._ask_redis_at = -math.inf

    def wait_time(self, chat_id: ChatId, cost: int = 1) -> float:
        until = self._hints.get(chat_key(chat_id))
        return 0.0 if until is None else max(0.0, until - self._local_time())

    async def reserve(self, chat_id: ChatId, cost: int = 1) -> float:
        """Take `cost` tokens now and return 0.0, or take nothing and return the wait."""
        key = chat_key(chat_id)
        global_rate, global_burst, chat_rate, chat_burst = self._rates(key)
        answer = await self._reserve(
            keys=[self._global_key, self._chat_key(key)],
            args=[self._now_arg(), cost, global_rate, global_burst, chat_rate, chat_burst],
        )
        wait = float(answer)
        self._hint(key, wait)
        return wait if wait > _EPSILON else 0.0

    async def acquire(self, chat_id: ChatId, cost: int = 1) -> None:
        key = chat_key(chat_id)
        async with self._lanes.hold(key):
            await self._wait_and_take(key, cost)

    async def settled(self, chat_id: ChatId, cost: int = 1) -> None:
        key = chat_key(chat_id)
        if time.monotonic() < self._ask_redis_at:  # `acquire` asked the fallback too
            self._fallback.settle(key, cost)
            return
        rate, burst = self._rates(key)[2:]
        try:
            await self._settle(
                keys=[self._chat_key(key)], args=[self._now_arg(), cost, rate, burst]
            )
        except RedisError as error:
            self._redis_failed(error)

    async def flooded(self, chat_id: ChatId | None, retry_after: float) -> None:
        self._fallback.penalize(chat_id, retry_after)
        if chat_id is None:
            key, rate, burst = self._global_key, *self._rates(0)[:2]
        else:
            normal = chat_key(chat_id)
            key, rate, burst = self._chat_key(normal), *self._rates(normal)[2:]
            self._hint(normal, retry_after)
        try:
            await self._hold(keys=[key], args=[self._now_arg(), retry_after, rate, burst])
        except RedisError as error:
            self._redis_failed(error)

    async def _wait_and_take(self, key: ChatId, cost: int) -> None:
        if time.monotonic() < self._ask_redis_at:
            await self._fallback.acquire(key, cost)
            return
        while True:
            try:
                wait = await self.reserve(key, cost)
            except RedisError as error:
                self._redis_failed(error)
                await self._fallback.acquire(key, cost)
                return
            if self._redis_down:
                self._redis_down = False
                log.info("shared_rate_limits_back")
            if not wait:
                return
            await self._sleep(wait)

    def _redis_failed(self, error: RedisError) -> None:
        self._ask_redis_at = time.monotonic() + OUTAGE_RETRY
        if not self._redis_down:
            self._redis_down = True
            log.warning("shared_rate_limits_unavailable", error=type(error).__name__)

    def _rates(self, key: ChatId) -> tuple[float, int, float, int]:
        limits = self.limits
        global_rate = limits.global_per_second * limits.global_headroom
        if is_group(key):
            chat_rate, chat_burst = limits.group_per_minute / 60, limits.group_burst
        else:
            chat_rate, chat_burst = limits.private_per_second, limits.private_burst
        return global_rate, limits.global_burst, chat_rate * limits.headroom, chat_burst

    @property
    def _global_key(self) -> str:
        return f"{self._prefix}global"

    def _chat_key(self, key: ChatId) -> str:
        return f"{self._prefix}chat:{self._chat_name(key)}"

    def _now_arg(self) -> str:
        return "" if self._clock is None else repr(self._clock())

    def _hint(self, key: ChatId, wait: float) -> None:
        now = self._local_time()
        if now >= self._next_sweep:
            self._next_sweep = now + _HINT_SWEEP_EVERY
            self._hints = {k: until for k, until in self._hints.items() if until > now}
        if wait > _EPSILON:
            self._hints[key] = max(self._hints.get(key, 0.0), now + wait)
        else:
            self._hints.pop(key, None)
