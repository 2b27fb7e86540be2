"""/healthz, /readyz and /metrics: what an orchestrator and Prometheus ask of a replica.

- `/healthz`: the process answers HTTP (its event loop is not stuck) and its receive loop
  is alive: 503 while updates cannot be stored (see `bot.inbox.ReceiveHealth`), so a
  supervisor restarts a process that would otherwise answer nobody.
- `/readyz`: this replica can do its work now: the database answers and its schema is at
  the migrations' head (an old replica during a rolling upgrade, or a new one before the
  upgrade ran, is not ready), the media store can be reached, and Redis answers when
  REDIS_URL is set. 200 or 503, with one short reason per failing check and no secrets.
- `/metrics`: Prometheus text from the app's own registry (`bot.metrics`).

Where they are served: on the webhook server in webhook mode (one port for Telegram and the
probes; the reverse proxy forwards only the webhook path to the internet), and on
METRICS_HOST:METRICS_PORT when that is set, which is the only way when polling.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import AppMetrics
from storage.media import MediaStore, MediaUnavailable
from storage.migrate import current_revisions, head_revisions

PROBE_TIMEOUT = 3.0
Probe = Callable[[], Awaitable[None]]


class NotReady(Exception):
    """A readiness check failed; the message is shown in /readyz (keep secrets out)."""


@dataclass(frozen=True)
class Ops:
    """What the endpoints look at: the app's engine, media store, Redis URL and metrics."""

    engine: AsyncEngine
    media: MediaStore
    metrics: AppMetrics
    redis_url: str | None = None
    alive: Callable[[], bool] = lambda: True
    timeout: float = PROBE_TIMEOUT

    def probes(self) -> dict[str, Probe]:
        probes: dict[str, Probe] = {
            "database": lambda: database_ready(self.engine),
            "media": lambda: media_ready(self.media),
        }
        if self.redis_url:
            url = self.redis_url
            probes["redis"] = lambda: redis_ping(url)
        return probes

    async def readiness(self) -> dict[str, str]:
        """Run every probe at once; `ok` or the reason, per check."""
        names, probes = zip(*self.probes().items(), strict=True)
        results = await asyncio.gather(
            *(self._run(probe) for probe in probes), return_exceptions=False
        )
        return dict(zip(names, results, strict=True))

    async def _run(self, probe: Probe) -> str:
        try:
            await asyncio.wait_for(probe(), self.timeout)
        except NotReady as error:
            return str(error)
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        return "ok"


async def database_ready(engine: AsyncEngine) -> None:
    """The database answers and is at the head revision."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = await connection.run_sync(current_revisions)
    except (SQLAlchemyError, OSError) as error:
        raise NotReady(f"unreachable: {type(error).__name__}") from None
    heads = head_revisions()
    if set(current) != set(heads):
        shown = ", ".join(current) or "no revision"
        raise NotReady(f"schema at {shown}, code expects {', '.join(heads)}")


async def media_ready(media: MediaStore) -> None:
    """The media store can be written (a probe file, or the bucket answers)."""
    try:
        await asyncio.to_thread(media.check)
    except MediaUnavailable as error:
        raise NotReady(str(error)) from None


async def redis_ping(url: str) -> None:
    """PING Redis over RESP: no client library needed to ask whether it is there."""
    split = urlsplit(url)
    try:
        if split.scheme == "unix":
            reader, writer = await asyncio.open_unix_connection(split.path)
        elif split.scheme in ("redis", "rediss"):
            tls = ssl.create_default_context() if split.scheme == "rediss" else None
            reader, writer = await asyncio.open_connection(
                split.hostname or "localhost", split.port or 6379, ssl=tls
            )
        else:
            raise NotReady("REDIS_URL is not redis://, rediss:// or unix://")
    except OSError as error:
        raise NotReady(f"unreachable: {type(error).__name__}") from None
    try:
        if split.password is not None:
            auth = [unquote(split.password)]
            if split.username:
                auth.insert(0, unquote(split.username))
            await _command(reader, writer, "AUTH", *auth)
        answer = await _command(reader, writer, "PING")
        if answer != b"+PONG":
            raise NotReady(f"unexpected answer to PING: {answer[:40]!r}")
    except (OSError, asyncio.IncompleteReadError) as error:
        raise NotReady(f"connection failed: {type(error).__name__}") from None
    finally:
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)


async def _command(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *args: str
) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    writer.write(b"".join(parts))
    await writer.drain()
    line = (await reader.readuntil(b"\r\n")).rstrip(b"\r\n")
    if line.startswith(b"-"):
        # Redis errors name the problem (NOAUTH, WRONGPASS), never the password.
        raise NotReady(line[1:].decode(errors="replace")[:80])
    return line


def add_ops_routes(app: web.Application, ops: Ops) -> None:
    """Add /healthz, /readyz and /metrics to an aiohttp app (before it is started)."""

    async def healthz(_request: web.Request) -> web.Response:
        if ops.alive():
            return web.json_response({"status": "alive", "ok": True})
        return web.json_response({"status": "not receiving", "ok": False}, status=503)

    async def readyz(_request: web.Request) -> web.Response:
        checks = await ops.readiness()
        ready = all(result == "ok" for result in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return web.Response(
            status=200 if ready else 503,
            text=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
        )

    async def metrics(_request: web.Request) -> web.Response:
        body = await ops.metrics.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


def ops_app(ops: Ops) -> web.Application:
    """A server of its own for the endpoints (METRICS_PORT)."""
    app = web.Application()
    add_ops_routes(app, ops)
    return app
