"""Webhook delivery to a receiver on loopback: secret header, retries, replies with a method."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from emulator import EmulatorClient

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Receiver:
    """A tiny webhook receiver that records what it got and answers as told."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[dict[str, object], str | None]] = asyncio.Queue()
        self.statuses: list[int] = []
        self.reply: dict[str, object] = {}
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
            await self.received.put((await request.json(), secret))
            return web.json_response(self.reply)
        return web.Response(status=status)

    async def next(self) -> tuple[dict[str, object], str | None]:
        return await asyncio.wait_for(self.received.get(), 5)


async def serve(
    handler: Handler | web.Application, path: str = "/hook"
) -> tuple[web.AppRunner, str]:
    """Serve `handler` (posted to at `path`) on a free loopback port: the runner, the URL."""
    if isinstance(handler, web.Application):
        app = handler
    else:
        app = web.Application()
        app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}{path}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    runner, receiver.url = await serve(receiver.handle)
    yield receiver
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_header(
    bot: Bot, client: EmulatorClient, receiver: Receiver
) -> None:
    ann = await client.chat_user()
    await bot.set_webhook(receiver.url, secret_token="hook-secret_1")
    sent = await ann.send("via webhook")
    update, secret = await receiver.next()
    assert secret == "hook-secret_1"
    message = update["message"]
    assert isinstance(message, dict)
    assert message["message_id"] == sent.message_id and message["text"] == "via webhook"
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_delivery_retries_while_the_receiver_fails(
    bot: Bot, client: EmulatorClient, receiver: Receiver
) -> None:
    ann = await client.chat_user()
    receiver.statuses = [500, 500, 500]
    await bot.set_webhook(receiver.url)
    await ann.send("first")
    await ann.send("second")
    first, _ = await receiver.next()
    second, _ = await receiver.next()
    assert [first["message"]["text"], second["message"]["text"]] == ["first", "second"]  # type: ignore[index]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None and info.pending_update_count == 0


async def test_unreachable_webhook_keeps_updates_pending(bot: Bot, client: EmulatorClient) -> None:
    runner, url = await serve(web.Application())
    await runner.cleanup()  # nothing listens there any more
    ann = await client.chat_user()
    await bot.set_webhook(url)
    await ann.send("kept")
    info = await bot.get_webhook_info()
    for _ in range(100):
        if info.last_error_message:
            break
        await asyncio.sleep(0.02)
        info = await bot.get_webhook_info()
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
    await bot.delete_webhook()
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["kept"]


async def test_set_webhook_can_drop_pending_updates(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.chat_user()
    await ann.send("old")
    await bot.set_webhook("http://127.0.0.1:9/hook", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_a_json_reply_with_a_method_is_executed(
    bot: Bot, client: EmulatorClient, receiver: Receiver
) -> None:
    ann = await client.chat_user()
    receiver.reply = {"method": "sendMessage", "chat_id": ann.id, "text": "pong"}
    await bot.set_webhook(receiver.url)
    await ann.send("ping")
    await receiver.next()
    assert (await ann.expect("pong")).from_bot


async def test_aiogram_webhook_handler_replying_in_the_response(
    bot: Bot, client: EmulatorClient
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage:
        # Answering inside the webhook response is the feature under test.
        return message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False, secret_token="s").register(
        app, path="/hook"
    )
    runner, url = await serve(app)
    try:
        ann = await client.chat_user()
        await bot.set_webhook(url, secret_token="s")
        await ann.send("hi")
        assert (await ann.expect("echo: hi")).from_bot
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
