"""The aiohttp session every `Bot` of ours talks through, for the server TELEGRAM_API_URL names.

aiogram's session waits 250 ms after closing, so that TLS connections can shut down
cleanly (aiohttp's graceful-shutdown advice). Over plain HTTP — a local Bot API server,
or the emulator — there is no TLS to wait for, and the quarter second is paid on every
stop: by a restart, by each CLI command that sends, and by every test.

aiogram reads each answer as `Response[<the method's result type>]`, a pydantic generic class
built on first use and cached only weakly by pydantic: once the garbage collector frees it,
the next answer builds it again (about a millisecond and a half each time, several times per
hundred sends under load). The session keeps a strong reference to each one it has used.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType


class BotApiSession(AiohttpSession):
    """`AiohttpSession` that waits for TLS connections to close only when there are any, and
    keeps the response classes it parses with alive."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._response_types: dict[Any, type[Response[Any]]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._response_types:
            self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)

    async def close(self) -> None:
        if self.api.base.startswith("https://"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()


def bot_api_session(api_url: str) -> BotApiSession:
    """A session on the Bot API server at `api_url` (Telegram's, or one of ours)."""
    return BotApiSession(api=TelegramAPIServer.from_base(api_url))
