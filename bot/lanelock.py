"""Per-user order across replicas: a Redis lock per lane, held while its updates are handled.

One process keeps a user's updates in order with a lane (`bot.inbox.LaneScheduler`); with
several replicas behind a load balancer, a user's next update may reach another replica
while the first is still handling the previous one. Before handling, a replica takes the
lane's lock in Redis (`SET NX PX`, the key named by the lane's keyed hash, never the user
id). The lock is a lease of `LEASE_SECONDS`, renewed every third of it while held, so the
lock of a replica that was killed (no renewal, no release) expires within the lease and
another replica takes the lane. It is released by compare-and-delete, so a replica never
frees a lock that expired and was taken by another.

A lock that cannot be renewed (Redis unreachable for a whole lease, or an event loop
stalled that long) is logged as lost; the handling in progress carries on, since a handler
half-done cannot be undone safely. Taking a lock while Redis is down waits and retries: a
user's updates wait rather than run out of order.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from config.tasks import end_task

log = structlog.get_logger(__name__)

LEASE_SECONDS = 15.0
KEY_PREFIX = "snapreport:lane:"
# Seconds between tries while another replica holds the lane (a user's update is being
# handled elsewhere: short), and the longest pause while Redis does not answer.
POLL_SECONDS = 0.05
OUTAGE_PAUSE_MAX = 5.0

# Delete / extend only while the lock still holds our token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class LaneLocks:
    """Leased Redis locks, one per lane; `hold(lane)` waits for it, renews it, releases it."""

    def __init__(
        self,
        redis: Redis,
        *,
        lease: float = LEASE_SECONDS,
        poll: float = POLL_SECONDS,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self._redis = redis
        self.lease = lease
        self._poll = poll
        self._prefix = prefix
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)

    def key(self, lane: str) -> str:
        return f"{self._prefix}{lane}"

    @asynccontextmanager
    async def hold(self, lane: str) -> AsyncIterator[None]:
        """Hold the lane's lock for the body (waiting while another replica holds it)."""
        key, token = self.key(lane), secrets.token_hex(16)
        await self._acquire(key, token)
        renewer = asyncio.create_task(self._keep(key, token), name=f"lane-lease-{lane[:8]}")
        try:
            yield
        finally:
            await end_task(renewer)
            try:
                await self._release(keys=[key], args=[token])
            except RedisError as error:  # it expires within the lease anyway
                log.warning("lane_lock_release_failed", error=type(error).__name__)

    async def _acquire(self, key: str, token: str) -> None:
        pause = self._poll
        while True:
            try:
                if await self._redis.set(key, token, nx=True, px=self._lease_ms):
                    return
                pause = self._poll
            except RedisError as error:
                log.warning("lane_lock_unavailable", error=type(error).__name__)
                pause = min(max(pause * 2, 0.5), OUTAGE_PAUSE_MAX)
            await asyncio.sleep(pause)

    async def _keep(self, key: str, token: str) -> None:
        """Extend the lease every third of it while the body runs."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if not await self._renew(keys=[key], args=[token, self._lease_ms]):
                    log.error("lane_lock_lost", lease=self.lease)
                    return
            except RedisError as error:
                log.warning("lane_lock_renew_failed", error=type(error).__name__)

    @property
    def _lease_ms(self) -> int:
        return max(1, round(self.lease * 1000))
