"""The aiohttp session every `Bot` of ours talks through, for the server TELEGRAM_API_URL names.

aiogram's session waits 250 ms after closing, so that TLS connections can shut down
cleanly (aiohttp's graceful-shutdown advice). Over plain HTTP — a local Bot API server,
or the emulator — there is no TLS to wait for, and the quarter second is paid on every
stop: by a restart, by each CLI command that sends, and by every test.
"""

from __future__ import annotations

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer


class BotApiSession(AiohttpSession):
    """`AiohttpSession` that waits for TLS connections to close only when there are any."""

    async def close(self) -> None:
        if self.api.base.startswith("https://"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()


def bot_api_session(api_url: str) -> BotApiSession:
    """A session on the Bot API server at `api_url` (Telegram's, or one of ours)."""
    return BotApiSession(api=TelegramAPIServer.from_base(api_url))
