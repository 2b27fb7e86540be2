"""Webhook mode: Telegram POSTs updates; each is stored in the inbox before we answer 200.

Answering 200 tells Telegram the update was received, so the inbox row must exist first;
handling then runs in the same per-user lanes as polling.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import structlog
from aiogram.types import Update
from aiohttp import web

log = structlog.get_logger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"

Receive = Callable[[Update], Awaitable[None]]


def webhook_app(
    receive: Receive,
    *,
    secret: str,
    context_bot: object,
) -> web.Application:
    """An aiohttp app with the webhook route; `receive` must persist before returning."""
    if not secret:
        # Unauthenticated, anyone could post an update with an administrator's `from.id`.
        raise ValueError("the webhook needs a secret")

    async def handle(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            log.warning("webhook_bad_secret")
            return web.Response(status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": context_bot})
        except ValueError:
            return web.Response(status=400)
        await receive(update)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, handle)
    return app
