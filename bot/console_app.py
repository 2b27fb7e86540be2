"""Wiring of the web console: its backend (a unit of work and `ws` per request) and its server.

`snapreport run` mounts it at `/console` on the webhook server (webhook mode) or on a server
of its own on WEBHOOK_HOST:WEBHOOK_PORT (polling); `snapreport console` serves it alone, for
a machine that runs the console beside a bot running elsewhere on the same database (its
notices are then sent by that bot's outbox).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiohttp import web

from bot.api_session import bot_api_session
from bot.workspace import Workspaces
from config.settings import Settings
from console.web import mount_console
from storage.calendar_days import ReplicaCalendar
from storage.categories import ReplicaCategories
from storage.unit_of_work import unit_of_work
from tickets.ports import UpdateWorkspace

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ConsoleBackend(Workspaces):
    """`console.backend.Backend`: the chat's workspaces, opened once per request, and the bot
    for its @username."""

    # The running bot (`snapreport run`); `snapreport console` alone has none.
    bot: Bot | None = None

    async def bot_username(self) -> str | None:
        if self.bot is None:
            return None
        try:
            return (await self.bot.me()).username  # aiogram caches getMe
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError) as error:
            # The settings pages still work; only the links and posters wait for the bot.
            log.warning("console_bot_unreachable", error=type(error).__name__)
            return None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UpdateWorkspace]:
        async with unit_of_work(self.sessions) as session, self.open(session) as ws:
            yield ws


def console_server(backend: ConsoleBackend) -> web.Application:
    """An aiohttp app serving only the console (polling mode, or `snapreport console`)."""
    app = web.Application()
    mount_console(app, backend)
    return app


async def serve_console(settings: Settings, *, host: str, port: int) -> None:
    """`snapreport console`: the console alone, until interrupted (the schema must be at head)."""
    import asyncio

    from bot.holidays_file import load_calendar
    from storage.db import create_session_factory, engine_for
    from storage.mediastores import open_media_store
    from tickets.clock import SystemClock
    from ui.i18n import create_i18n

    calendar = load_calendar(settings.holidays_file)
    engine = engine_for(settings)
    bot = lookup_bot(settings)
    clock = SystemClock()
    backend = ConsoleBackend(
        sessions=create_session_factory(engine),
        clock=clock,
        settings=settings,
        i18n=create_i18n(settings.default_language),
        calendars=ReplicaCalendar(calendar, clock=clock),
        categories=ReplicaCategories(clock=clock),
        media=open_media_store(settings),
        bot=bot,
    )
    runner = web.AppRunner(console_server(backend))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await engine.dispose()
        if bot is not None:
            await bot.session.close()


def lookup_bot(settings: Settings) -> Bot | None:
    """The bot, only to read its @username for invite links and posters (BOT_TOKEN set)."""
    if settings.bot_token is None:
        return None
    session = bot_api_session(settings.telegram_api_url)
    return Bot(settings.bot_token.get_secret_value(), session=session)
