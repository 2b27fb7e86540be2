"""The baseline: a bare aiogram echo bot, as small as aiogram allows.

Every snapreport throughput figure is printed beside this one, measured in the same run on
the same emulator, so a ratio says what our inbox, database and middlewares cost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from sqlalchemy import Column, Integer, MetaData, Table, Text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine


def create_echo_dispatcher(journal: AsyncEngine | None = None) -> Dispatcher:
    """The echo; with `journal`, each update's text is first committed to it in a
    transaction of its own: the least any bot that keeps its updates durably does."""
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        if journal is not None:
            async with journal.begin() as connection:
                await connection.execute(JOURNAL.insert().values(body=message.text))
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


JOURNAL = Table(
    "journal", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text)
)


@dataclass
class EchoBot:
    bot: Bot
    dispatcher: Dispatcher
    task: asyncio.Task[None]
    journal: AsyncEngine | None = None


async def start_echo_bot(api_url: str, token: str, *, journal_url: str | None = None) -> EchoBot:
    """Start polling in the background; `stop_echo_bot` ends it cleanly.

    `journal_url` (a scratch database) makes it commit each update before answering, on an
    engine from `storage.db.create_engine`: the bot's own SQLite settings (WAL,
    synchronous=FULL)."""
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    journal = create_engine(journal_url) if journal_url else None
    if journal is not None:
        async with journal.begin() as connection:
            await connection.run_sync(JOURNAL.metadata.create_all)
    dispatcher = create_echo_dispatcher(journal)
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, polling_timeout=1, handle_signals=False, close_bot_session=False
        )
    )
    return EchoBot(bot, dispatcher, task, journal)


async def stop_echo_bot(echo: EchoBot) -> None:
    # Cancelling the task would leave aiogram's getUpdates running, and the next bot on
    # the same server would get 409 Conflict: stop polling the way aiogram means it.
    await echo.dispatcher.stop_polling()
    await echo.task
    await echo.bot.session.close()
    if echo.journal is not None:
        await echo.journal.dispose()
