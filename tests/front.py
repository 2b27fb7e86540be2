"""A round-robin reverse proxy for `/telegram/webhook`, standing in for nginx's upstream.

Like nginx with `proxy_next_upstream error`, a replica that refuses the connection (it is
down) is passed over for the next one; only when none answers does the front fail, and the
Bot API keeps the update and retries.
"""

from __future__ import annotations

import itertools
import socket
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


@dataclass
class Front:
    """Forwards each delivery to the next backend that takes the connection."""

    backends: list[str] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        for _ in range(len(self.backends)):
            backend = self.backends[next(self._turn) % len(self.backends)]
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(f"{backend}{WEBHOOK_PATH}", data=body, headers=headers) as answer,
                ):
                    if answer.status == 200:
                        self.delivered[backend] = self.delivered.get(backend, 0) + 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectorError:
                continue  # down: the next one
            except aiohttp.ClientError:
                # It died with the update in hand (stored or not): like nginx, the front does
                # not resend a POST; the Bot API delivers it again and the inbox keeps it once.
                return web.Response(status=502, text="the replica went away")
        return web.Response(status=502, text="no replica is up")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(front: Front, port: int) -> web.AppRunner:
    """Serve `front` on loopback; the caller cleans the runner up."""
    server = web.Application()
    server.router.add_post(WEBHOOK_PATH, front.forward)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner
