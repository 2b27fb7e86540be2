"""Injected faults: shares of bot calls failing with 429, 500 or a dropped connection."""

from __future__ import annotations

from collections import Counter

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError

from emulator import EmulatorClient, FaultShares
from emulator.faults import Fault, FaultInjector


def test_shares_hold_statistically_with_a_fixed_seed() -> None:
    injector = FaultInjector(
        FaultShares(share_429=0.2, share_500=0.1, share_timeout=0.05), seed=1234
    )
    drawn = Counter(injector.draw("sendMessage") for _ in range(5000))
    assert 900 <= drawn[Fault.TOO_MANY_REQUESTS] <= 1100
    assert 400 <= drawn[Fault.SERVER_ERROR] <= 600
    assert 175 <= drawn[Fault.TIMEOUT] <= 325


def test_same_seed_same_faults() -> None:
    shares = FaultShares(share_500=0.5)
    first, second = FaultInjector(shares, seed=9), FaultInjector(shares, seed=9)
    assert [first.draw("sendMessage") for _ in range(50)] == [
        second.draw("sendMessage") for _ in range(50)
    ]


def test_polling_is_exempt_by_default() -> None:
    injector = FaultInjector(FaultShares(share_500=1.0), seed=1)
    assert injector.draw("getUpdates") is None and injector.draw("getMe") is None
    assert injector.draw("sendMessage") is Fault.SERVER_ERROR


def test_shares_must_add_up_to_at_most_one() -> None:
    with pytest.raises(ValueError, match="at most 1"):
        FaultShares(share_429=0.6, share_500=0.6)


async def test_server_error_share_over_http(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient
) -> None:
    ann = await client.chat_user()
    await client.set_faults(share_500=0.3, seed=7)
    statuses: Counter[int] = Counter()
    for _ in range(200):
        async with http.post(f"{api}/sendMessage", json={"chat_id": ann.id, "text": "x"}) as r:
            statuses[r.status] += 1
            if r.status == 500:
                assert await r.json() == {
                    "ok": False,
                    "error_code": 500,
                    "description": "Internal Server Error",
                }
    assert 40 <= statuses[500] <= 80 and statuses[200] + statuses[500] == 200
    stats = await client.stats()
    assert stats.faults == {"500": statuses[500]}
    assert len(await ann.messages()) == statuses[200]  # a failed call sent nothing


async def test_aiogram_sees_injected_429_and_500(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.chat_user()
    await client.set_faults(share_429=1.0)
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ann.id, "x")
    assert refused.value.retry_after == 1
    assert (await bot.get_me()).username == "snapreport_bot"
    await client.set_faults(share_500=1.0)
    with pytest.raises(TelegramServerError):
        await bot.send_message(ann.id, "x")
    await client.clear_faults()
    await bot.send_message(ann.id, "x")
    stats = await client.stats()
    assert stats.too_many_requests == 1 and stats.limit_violations == 0


async def test_timeout_holds_then_drops_the_connection(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient
) -> None:
    ann = await client.chat_user()
    await client.set_faults(share_timeout=1.0, timeout_delay=0.1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await http.post(f"{api}/sendMessage", json={"chat_id": ann.id, "text": "lost"})
    assert await ann.messages() == []
    await client.set_faults(share_timeout=1.0, timeout_delay=0.1, timeout_after_effect=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await http.post(f"{api}/sendMessage", json={"chat_id": ann.id, "text": "sent anyway"})
    assert [m.content for m in await ann.messages()] == ["sent anyway"]
    assert (await client.stats()).faults == {"timeout": 2}
