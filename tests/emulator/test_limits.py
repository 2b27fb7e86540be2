"""Telegram's three sending limits, on a clock the tests move instead of sleeping."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from emulator import EmulatorClient, EmulatorConfig, LimitRates
from emulator.limits import RateLimiter, Scope

from .conftest import FakeClock, jpeg


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(LimitRates(), clock=clock)


def test_private_chat_allows_a_burst_of_three_then_one_per_second(
    limiter: RateLimiter, clock: FakeClock
) -> None:
    assert [limiter.acquire(1, private=True) for _ in range(3)] == [None] * 3
    refusal = limiter.acquire(1, private=True)
    assert refusal is not None and refusal.scope is Scope.PRIVATE
    assert refusal.wait == pytest.approx(1.0)
    clock.advance(1.0)
    assert limiter.acquire(1, private=True) is None
    assert limiter.acquire(2, private=True) is None  # another chat has its own bucket


def test_group_allows_twenty_per_minute(limiter: RateLimiter, clock: FakeClock) -> None:
    assert all(limiter.acquire(-5, private=False) is None for _ in range(20))
    refusal = limiter.acquire(-5, private=False)
    assert refusal is not None and refusal.scope is Scope.GROUP
    assert refusal.wait == pytest.approx(3.0)
    clock.advance(3.0)
    assert limiter.acquire(-5, private=False) is None


def test_thirty_per_second_overall(limiter: RateLimiter, clock: FakeClock) -> None:
    assert all(limiter.acquire(chat, private=True) is None for chat in range(30))
    refusal = limiter.acquire(99, private=True)
    assert refusal is not None and refusal.scope is Scope.GLOBAL
    clock.advance(1 / 30)
    assert limiter.acquire(99, private=True) is None


def test_an_album_bigger_than_the_burst_fits_a_full_bucket_then_owes(
    limiter: RateLimiter, clock: FakeClock
) -> None:
    assert limiter.acquire(1, private=True, count=10) is None
    refusal = limiter.acquire(1, private=True)
    assert refusal is not None and refusal.wait == pytest.approx(8.0)


def test_scale_multiplies_every_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitRates(), scale=50.0, clock=clock)
    for _ in range(3):
        limiter.acquire(1, private=True)
    refusal = limiter.acquire(1, private=True)
    assert refusal is not None and refusal.wait == pytest.approx(0.02)


def test_disabled_limits_refuse_nothing(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitRates(), enabled=False, clock=clock)
    assert all(limiter.acquire(1, private=True) is None for _ in range(100))


@pytest.fixture
def config(clock: FakeClock) -> EmulatorConfig:
    return EmulatorConfig(monotonic=clock)


async def send(http: aiohttp.ClientSession, api: str, chat_id: int) -> dict[str, object]:
    async with http.post(f"{api}/sendMessage", json={"chat_id": chat_id, "text": "x"}) as r:
        body: dict[str, object] = await r.json()
        assert r.status == body.get("error_code", 200)
        return body


async def test_a_flooded_private_chat_gets_429_with_retry_after(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient, clock: FakeClock
) -> None:
    ann = await client.chat_user()
    bodies = [await send(http, api, ann.id) for _ in range(4)]
    assert [body["ok"] for body in bodies] == [True, True, True, False]
    assert bodies[3] == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    clock.advance(1.0)
    assert (await send(http, api, ann.id))["ok"] is True
    stats = await client.stats()
    assert stats.limit_violations == 1 and stats.limit_violations_by_scope == {"private": 1}
    assert stats.too_many_requests == 1 and stats.requests["sendMessage"] == 5


async def test_thirty_messages_per_second_across_chats(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient
) -> None:
    users = [await client.create_user() for _ in range(31)]
    bodies = [await send(http, api, user.id) for user in users]
    assert [body["ok"] for body in bodies] == [True] * 30 + [False]
    assert (await client.stats()).limit_violations_by_scope == {"global": 1}


async def test_edits_and_answers_are_not_limited(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient
) -> None:
    ann = await client.chat_user()
    sent = [await send(http, api, ann.id) for _ in range(3)]
    message_id = sent[0]["result"]["message_id"]  # type: ignore[index]
    for number in range(10):
        fields = {"chat_id": ann.id, "message_id": message_id, "text": f"edit {number}"}
        async with http.post(f"{api}/editMessageText", json=fields) as response:
            assert response.status == 200
    assert (await client.stats()).limit_violations == 0


async def test_group_limit_counts_album_items(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient, clock: FakeClock
) -> None:
    ann = await client.chat_user()
    group = await client.create_group("Office", [ann.id])
    photo = (await client.send_photo(ann.id, jpeg(64, 64))).photo[0].file_id
    media = [{"type": "photo", "media": photo}] * 10
    async with http.post(f"{api}/sendMediaGroup", json={"chat_id": group.id, "media": media}):
        pass
    bodies = [await send(http, api, group.id) for _ in range(11)]
    assert [body["ok"] for body in bodies] == [True] * 10 + [False]
    assert bodies[-1]["parameters"] == {"retry_after": 3}
    clock.advance(3.0)
    assert (await send(http, api, group.id))["ok"] is True
    assert (await client.stats()).limit_violations_by_scope == {"group": 1}


async def test_limits_can_be_switched_off_at_runtime(
    http: aiohttp.ClientSession, api: str, client: EmulatorClient
) -> None:
    ann = await client.chat_user()
    await client.set_limits(enabled=False)
    assert all([(await send(http, api, ann.id))["ok"] for _ in range(10)])
    await client.set_limits(enabled=True, scale=2.0)
    bodies = [await send(http, api, ann.id) for _ in range(4)]
    assert [body["ok"] for body in bodies] == [True, True, True, False]


async def test_aiogram_sees_retry_after_and_scaled_limits_recover_quickly(
    bot: Bot, client: EmulatorClient, clock: FakeClock
) -> None:
    await client.set_limits(scale=50.0)
    ann = await client.chat_user()
    for _ in range(3):
        await bot.send_message(ann.id, "x")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ann.id, "x")
    assert refused.value.retry_after == 1  # whole seconds, at least one
    clock.advance(0.02)  # at 50x a private chat refills a message every 20 ms
    await bot.send_message(ann.id, "x")
