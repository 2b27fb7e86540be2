"""getUpdates: long polls that wake on arrival, offsets that confirm, and Telegram's conflicts."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError

from emulator import EmulatorClient, EmulatorServer


async def until_polling(emulator: EmulatorServer, generation: int = 1) -> None:
    """Yield until the emulator holds the getUpdates call number `generation`."""
    updates = emulator.state.world(emulator.token).updates  # type: ignore[union-attr]
    while updates.poll_generation < generation:
        await updates.signal.wait(1)  # each new getUpdates fires it


async def test_long_poll_wakes_as_soon_as_an_update_arrives(
    bot: Bot, client: EmulatorClient, emulator: EmulatorServer
) -> None:
    ann = await client.chat_user()
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await until_polling(emulator)
    await ann.send("wake up")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    assert loop.time() - started < 2


async def test_empty_long_poll_returns_after_its_timeout(bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == []


async def test_offset_confirms_and_drops_earlier_updates(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.chat_user()
    for text in ("a", "b", "c"):
        await ann.send(text)
    first = await bot.get_updates()
    ids = [u.update_id for u in first]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[:1]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # confirmed stay gone
    await ann.send("d")
    assert [u.message.text for u in await bot.get_updates(offset=-1) if u.message] == ["d"]
    assert await bot.get_updates(offset=ids[2] + 2) == []
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0


async def test_allowed_updates_filters_new_updates(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.chat_user()
    await bot.get_updates(allowed_updates=["callback_query"])
    await ann.send("ignored")
    assert await bot.get_updates() == []
    await bot.get_updates(allowed_updates=[])
    await ann.send("seen")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["seen"]


async def test_a_newer_poll_terminates_the_older_one(bot: Bot, emulator: EmulatorServer) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=10))
    await until_polling(emulator)
    assert await bot.get_updates() == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 2)


async def test_get_updates_conflicts_with_a_webhook(http: aiohttp.ClientSession, api: str) -> None:
    async with http.post(f"{api}/setWebhook", json={"url": "http://127.0.0.1:9/h"}) as response:
        assert response.status == 200
    async with http.post(f"{api}/getUpdates") as response:
        assert response.status == 409
        assert await response.json() == {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        }


async def test_stopping_the_server_ends_long_polls(
    http: aiohttp.ClientSession, api: str, emulator: EmulatorServer
) -> None:
    poll = asyncio.create_task(http.post(f"{api}/getUpdates", json={"timeout": 30}))
    await until_polling(emulator)
    await asyncio.wait_for(emulator.stop(), 2)
    response = await asyncio.wait_for(poll, 2)
    assert (await response.json())["result"] == []


async def test_update_ids_keep_growing_after_a_reset(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.chat_user()
    await ann.send("before")
    before = (await bot.get_updates())[-1].update_id
    await client.reset()
    bo = await client.chat_user()
    await bo.send("after")
    updates = await bot.get_updates(offset=before + 1)
    assert [u.update_id for u in updates] == [before + 1]
