"""Telegram's sending limits as token buckets, so a bot that floods gets 429 like in production.

Three limits apply to every message a bot sends: about 30 per second overall, about one per
second per private chat (with a short burst), and 20 per minute per group or channel. A call
is refused as a whole when any of its buckets is short, and its `retry_after` is the time until
all of them can pay. An album counts once per item; so that a ten-photo album still fits a
private chat's burst of three, a bucket that is full may pay more than it holds and go into
debt. The time source is injected so tests can move it instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from emulator.config import LimitRates

EPSILON = 1e-9


class Scope(StrEnum):
    """Which limit refused a call."""

    GLOBAL = "global"
    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Refusal:
    """A call the limits do not let through yet."""

    scope: Scope
    wait: float


class TokenBucket:
    """Tokens refill at `rate` per second up to `capacity`; a call spends one per message."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = now

    def tokens(self, now: float) -> float:
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        return self._tokens

    def wait_time(self, count: float, now: float) -> float:
        """Seconds until `count` tokens can be spent (a full bucket can always pay)."""
        missing = min(count, self.capacity) - self.tokens(now)
        # Forgive float dust, or a wait of exactly 1/rate would still be refused.
        return missing / self.rate if missing > EPSILON else 0.0

    def spend(self, count: float, now: float) -> None:
        self._tokens = self.tokens(now) - count


class RateLimiter:
    """The limits one bot is held to, keyed by chat."""

    def __init__(
        self,
        rates: LimitRates,
        *,
        scale: float = 1.0,
        enabled: bool = True,
        clock: Callable[[], float],
    ) -> None:
        self.rates = rates
        self.scale = scale
        self.enabled = enabled
        self._clock = clock
        self._global = self._new_global()
        self._chats: dict[int, TokenBucket] = {}

    def configure(self, *, scale: float | None = None, enabled: bool | None = None) -> None:
        """Change the limits while running; a new scale starts every bucket full."""
        if enabled is not None:
            self.enabled = enabled
        if scale is not None:
            self.scale = scale
            self._global = self._new_global()
            self._chats.clear()

    def acquire(self, chat_id: int, *, private: bool, count: int = 1) -> Refusal | None:
        """Spend `count` messages' worth for a chat, or say which limit refuses and how long."""
        if not self.enabled:
            return None
        now = self._clock()
        chat_scope = Scope.PRIVATE if private else Scope.GROUP
        buckets = ((Scope.GLOBAL, self._global), (chat_scope, self._chat_bucket(chat_id, private)))
        waits = [(bucket.wait_time(count, now), scope) for scope, bucket in buckets]
        wait, scope = max(waits)
        if wait > 0:
            return Refusal(scope, wait)
        for _, bucket in buckets:
            bucket.spend(count, now)
        return None

    def _new_global(self) -> TokenBucket:
        rates = self.rates
        return TokenBucket(rates.global_per_second * self.scale, rates.global_burst, self._clock())

    def _chat_bucket(self, chat_id: int, private: bool) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if private:
                rate, burst = self.rates.private_per_second, self.rates.private_burst
            else:
                rate, burst = self.rates.group_per_minute / 60, self.rates.group_burst
            bucket = TokenBucket(rate * self.scale, burst, self._clock())
            self._chats[chat_id] = bucket
        return bucket
