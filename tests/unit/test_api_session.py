"""The Bot API session waits for TLS connections to close only when it has any."""

from __future__ import annotations

import pytest
from aiogram.client.session import aiohttp as aiogram_aiohttp

from bot.api_session import bot_api_session


@pytest.mark.parametrize(
    ("url", "waits"), [("http://127.0.0.1:8081", []), ("https://api.telegram.org", [0.25])]
)
async def test_closing_waits_for_tls_only_over_https(
    monkeypatch: pytest.MonkeyPatch, url: str, waits: list[float]
) -> None:
    slept: list[float] = []

    async def record(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(f"{aiogram_aiohttp.__name__}.asyncio.sleep", record)
    session = bot_api_session(url)
    http = await session.create_session()  # what the first request opens

    await session.close()

    assert http.closed
    assert slept == waits
