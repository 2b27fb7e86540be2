"""The Bot API session waits for TLS connections to close only when it has any."""

from __future__ import annotations

import gc
import json
import weakref

import pytest
from aiogram import Bot
from aiogram.client.session import aiohttp as aiogram_aiohttp
from aiogram.methods import SendMessage

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


async def test_the_response_classes_it_parsed_with_outlive_a_garbage_collection() -> None:
    session = bot_api_session("http://127.0.0.1:8081")
    bot = Bot("42:" + "A" * 35, session=session)
    sent = {
        "ok": True,
        "result": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
    }
    method = SendMessage(chat_id=1, text="hi")
    parsed_with = weakref.ref(type(session.check_response(bot, method, 200, json.dumps(sent))))

    gc.collect()

    assert parsed_with() is not None  # pydantic alone keeps it weakly: it would be rebuilt
    await session.close()
