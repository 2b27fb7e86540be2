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


def create_echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


@dataclass
class EchoBot:
    bot: Bot
    dispatcher: Dispatcher
    task: asyncio.Task[None]


async def start_echo_bot(api_url: str, token: str) -> EchoBot:
    """Start polling in the background; `stop_echo_bot` ends it cleanly."""
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = create_echo_dispatcher()
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, polling_timeout=1, handle_signals=False, close_bot_session=False
        )
    )
    return EchoBot(bot, dispatcher, task)


async def stop_echo_bot(echo: EchoBot) -> None:
    # Cancelling the task would leave aiogram's getUpdates running, and the next bot on
    # the same server would get 409 Conflict: stop polling the way aiogram means it.
    await echo.dispatcher.stop_polling()
    await echo.task
    await echo.bot.session.close()
