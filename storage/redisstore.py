"""Redis, when `REDIS_URL` is set: the client, and the WeChat access_token shared there.

Redis holds only what replicas must agree on quickly and may lose: lane locks
(`bot.lanelock`), rate-limit buckets (`outbox.redislimit`) and the WeChat access_token.
Nothing durable lives there; the database stays the one record.
"""

from __future__ import annotations

import json
from datetime import datetime

from redis.asyncio import Redis

from wechat.api import AccessToken

TOKEN_PREFIX = "snapreport:wechat:token:"
# An unused token is forgotten after a day (it lives two hours; a fresh one is fetched).
TOKEN_KEEP_SECONDS = 86_400


def open_redis(url: str) -> Redis:
    """A client of REDIS_URL (connections are opened on first use)."""
    return Redis.from_url(url, health_check_interval=30)


class RedisTokenStore:
    """The WeChat access_token in Redis, so replicas share one without a database write."""

    def __init__(self, redis: Redis, *, prefix: str = TOKEN_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    async def load(self, app_id: str) -> AccessToken | None:
        raw = await self._redis.get(self._prefix + app_id)
        if raw is None:
            return None
        data = json.loads(raw)
        return AccessToken(data["access_token"], datetime.fromisoformat(data["expires_at"]))

    async def save(self, app_id: str, token: AccessToken) -> None:
        value = {"access_token": token.access_token, "expires_at": token.expires_at.isoformat()}
        await self._redis.set(self._prefix + app_id, json.dumps(value), ex=TOKEN_KEEP_SECONDS)
