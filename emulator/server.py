"""The emulator's HTTP server: Telegram's Bot API routes, file downloads and the control API.

`/bot<token>/<method>` checks the token (401), finds the method case-insensitively (404),
lets the fault injector fail the call on purpose, reads the parameters however they were
encoded and runs the method; every refusal is Telegram's JSON error with the matching HTTP
status, and a bug in the emulator is a 500 in the same shape rather than a bare traceback.
`/file/bot<token>/<file_path>` serves files as Telegram's file server does. The control
API answers only requests carrying `control_token` (see `emulator.tokens`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes

from aiohttp import web

from emulator import methods, tokens
from emulator.config import EmulatorConfig
from emulator.control import ControlApi
from emulator.errors import ApiError, internal_error, not_found, too_many_requests, unauthorized
from emulator.faults import Fault, FaultInjector
from emulator.params import Params, read_request
from emulator.state import EmulatorState, World
from emulator.stats import Stats
from emulator.webhook import WebhookDelivery

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 0.5


class EmulatorServer:
    """A local Telegram Bot API server with a control API, on a loopback port."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.state = EmulatorState(self.config)
        self.stats = Stats()
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self.webhooks = WebhookDelivery(self.config, self.execute)
        self.state.on_webhook_change = self.webhooks.sync
        self.control_token = self.config.control_token or tokens.new_token()
        self._control = ControlApi(
            self.state, self.stats, self.faults, self.reset, token=self.control_token
        )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT, for TelegramAPIServer.from_base."""
        if self._url is None:
            raise RuntimeError("the emulator is not running")
        return self._url

    @property
    def token(self) -> str:
        """The default bot's token."""
        return self.config.token

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self.state.closed = False
        # No access log: request paths carry the bot token.
        runner = web.AppRunner(
            self._app(),
            handler_cancellation=True,
            shutdown_timeout=SHUTDOWN_GRACE,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._url = f"http://{bound_host}:{bound_port}"
        tokens.register(self._url, self.control_token)
        return self._url

    async def stop(self) -> None:
        """End long polls and webhook delivery, then close the port."""
        self.state.close()
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._url is not None:
            tokens.forget(self._url)
        self._runner = None
        self._url = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def reset(self) -> None:
        """Forget all users, chats, files and updates, and zero the statistics."""
        for world in self.state.worlds.values():
            world.webhook = None
            self.webhooks.sync(world)
        self.state.reset()
        self.stats.clear()

    async def execute(self, world: World, name: str, params: Params) -> object:
        """Run a Bot API method by name (used for calls inside webhook replies)."""
        found = methods.lookup(name)
        if found is None:
            raise not_found()
        canonical, method = found
        self.stats.request(canonical)
        try:
            return await method(world, params)
        except ApiError as error:
            self.stats.error(error)
            raise

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_upload_bytes + 1024 * 1024)
        app.add_routes(
            [
                web.route("*", "/bot{token}/{method}", self._bot_call),
                web.get("/file/bot{token}/{path:.+}", self._download),
                *self._control.routes(),
            ]
        )
        return app

    async def _bot_call(self, request: web.Request) -> web.StreamResponse:
        world = self.state.world(request.match_info["token"])
        if world is None:
            return _reply(unauthorized().body(), 401)
        found = methods.lookup(request.match_info["method"])
        if found is None:
            return _reply(not_found().body(), 404)
        canonical = found[0]
        self.stats.request(canonical)
        fault = self.faults.draw(canonical)
        if fault is not None:
            self.stats.fault(fault)
            return await self._faulty(request, world, fault, canonical)
        return await self._run(request, world, canonical)

    async def _run(self, request: web.Request, world: World, name: str) -> web.StreamResponse:
        found = methods.lookup(name)
        assert found is not None
        try:
            params = await read_request(request, max_bytes=self.config.max_upload_bytes)
            result = await found[1](world, params)
        except ApiError as error:
            self.stats.error(error)
            return _reply(error.body(), error.code)
        except Exception:
            log.exception("emulator bug in %s", name)
            return _reply(internal_error().body(), 500)
        return _reply({"ok": True, "result": result}, 200)

    async def _faulty(
        self, request: web.Request, world: World, fault: Fault, name: str
    ) -> web.StreamResponse:
        if fault is Fault.TOO_MANY_REQUESTS:
            return _reply(too_many_requests(1).body(), 429)
        if fault is Fault.SERVER_ERROR:
            return _reply(internal_error().body(), 500)
        shares = self.faults.shares
        if shares.timeout_after_effect:
            await self._run(request, world, name)
        await asyncio.sleep(shares.timeout_delay)
        # Drop the connection without an answer, as a timed-out Telegram does.
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=504)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        world = self.state.world(request.match_info["token"])
        if world is None:
            return _reply(unauthorized().body(), 401)
        stored = world.files.by_path(request.match_info["path"])
        if stored is None:
            return _reply(not_found().body(), 404)
        content_type = stored.mime_type or mimetypes.guess_type(stored.file_path)[0]
        return web.Response(
            body=world.files.data(stored),
            content_type=content_type or "application/octet-stream",
        )


def _reply(body: dict[str, object], status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
