"""Delivers a bot's updates to its webhook the way Telegram does.

One background task per bot POSTs the oldest pending update as JSON, with the
`X-Telegram-Bot-Api-Secret-Token` header when a secret is set, and drops it once the receiver
answers 2xx. While the receiver fails (an error status, a refused connection, a timeout) the
update stays queued, `last_error_message` says why, and the task retries with a growing delay.
A 2xx answer may carry a Bot API call (`{"method": ...}`, as JSON or a multipart form), which is
executed like Telegram does, its result ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from emulator.config import EmulatorConfig
from emulator.errors import ApiError
from emulator.params import Params, Upload, read_multipart
from emulator.state import WebhookSettings, World

log = logging.getLogger(__name__)
Executor = Callable[[World, str, Params], Awaitable[object]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """Runs one delivery task per bot whose webhook is set."""

    def __init__(self, config: EmulatorConfig, execute: Executor) -> None:
        self._config = config
        self._execute = execute
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    def sync(self, world: World) -> None:
        """Start, restart or stop delivery after a bot changed its webhook."""
        old = self._tasks.pop(world.bot.token, None)
        if old is not None:
            old.cancel()
        if world.webhook is not None:
            task = asyncio.get_running_loop().create_task(
                self._run(world, world.webhook), name=f"webhook-{world.bot.username}"
            )
            self._tasks[world.bot.token] = task

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, world: World, hook: WebhookSettings) -> None:
        delay = self._config.webhook_retry_min
        queue = world.updates
        while not queue.closed:
            update = queue.first()
            if update is None:
                await queue.signal.wait(3600)
                continue
            error = await self._post(world, hook, update)
            if error is None:
                queue.drop(int(str(update["update_id"])))
                delay = self._config.webhook_retry_min
                continue
            hook.last_error_date = world.now()
            hook.last_error_message = error
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._config.webhook_retry_max)

    async def _post(
        self, world: World, hook: WebhookSettings, update: dict[str, object]
    ) -> str | None:
        """Deliver one update; the reason it failed, or None."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        timeout = aiohttp.ClientTimeout(total=self._config.webhook_timeout)
        try:
            async with self._client().post(
                hook.url, data=json.dumps(update), headers=headers, timeout=timeout
            ) as response:
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                await self._run_reply(world, response)
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection failed: {type(error).__name__}"
        return None

    async def _run_reply(self, world: World, response: aiohttp.ClientResponse) -> None:
        """Execute a method call that the receiver put in its answer."""
        try:
            params = await _reply_params(response, self._config.max_upload_bytes)
            method = params.text("method") if params else None
            if params is not None and method:
                await self._execute(world, method, params)
        except (ApiError, ValueError) as error:
            # Telegram ignores the outcome of a method sent in a webhook reply.
            log.info("webhook reply call failed: %s", error)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session


async def _reply_params(response: aiohttp.ClientResponse, max_bytes: int) -> Params | None:
    if response.content_type == "application/json":
        body: object = json.loads(await response.read() or b"{}")
        return Params(body) if isinstance(body, dict) else None
    if response.content_type == "multipart/form-data":
        values: dict[str, object] = {}
        uploads: dict[str, Upload] = {}
        reader = aiohttp.MultipartReader(response.headers, response.content)
        await read_multipart(reader, values, uploads, max_bytes)
        return Params(values, uploads)
    return None
