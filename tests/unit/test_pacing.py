"""PacingMiddleware paces a real aiogram Bot talking HTTP to a loopback Bot API server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    ForwardMessages,
    GetUpdates,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
)
from aiogram.types import InputMediaPhoto, MediaUnion
from aiohttp import web

from outbox.pacing import DIRECT_ANSWER, PacingMiddleware, send_cost, target_chat
from outbox.ratelimit import RateLimits, TelegramRateLimiter

TOKEN = "42:pacing-test"
ALICE, BOB, CAROL = 1001, 1002, 1003
NO_CHAT = 0  # how the loopback server files calls that name no chat
SPEEDUP = 10  # real time, so rates are scaled up to keep the tests short
GAP = 1 / (RateLimits().private_per_second * SPEEDUP)  # between two messages to one chat
SLACK = 0.02  # loopback latency may shift an arrival by a little, never by a whole gap


@dataclass
class Arrival:
    method: str
    chat_id: int
    at: float


@dataclass
class LoopbackBotApi:
    """Answers Bot API calls with valid JSON, notes when each arrived, floods on request."""

    arrivals: list[Arrival] = field(default_factory=list)
    flooded: dict[int, int] = field(default_factory=dict)  # chat (or NO_CHAT) -> retry_after
    flood_once: bool = False  # lift a chat's flood after the first 429
    answer_after: float = 0.0  # seconds each call takes to be answered (a slow network)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        chat_id = int(str(form.get("chat_id", NO_CHAT)))
        self.arrivals.append(Arrival(method, chat_id, time.monotonic()))
        await asyncio.sleep(self.answer_after)
        if chat_id in self.flooded:
            retry_after = self.flooded[chat_id]
            if self.flood_once:
                del self.flooded[chat_id]
            return flood_response(retry_after)
        if method == "sendMediaGroup":
            media = json.loads(str(form["media"]))
            return ok([message(chat_id, n) for n in range(1, len(media) + 1)])
        return ok(message(chat_id, len(self.arrivals)))

    def times(self, chat_id: int) -> list[float]:
        return [arrival.at for arrival in self.arrivals if arrival.chat_id == chat_id]


def message(chat_id: int, message_id: int) -> dict[str, Any]:
    chat_type = "private" if chat_id > 0 else "group"
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type},
        "text": "ok",
    }


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def flood_response(retry_after: int) -> web.Response:
    body = {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    return web.json_response(body, status=429)


@pytest.fixture
async def api() -> AsyncIterator[tuple[LoopbackBotApi, str]]:
    fake = LoopbackBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield fake, f"http://{host}:{port}"
    finally:
        await runner.cleanup()


BotFactory = Callable[[TelegramRateLimiter], Bot]


@pytest.fixture
async def paced_bot(api: tuple[LoopbackBotApi, str]) -> AsyncIterator[BotFactory]:
    bots: list[Bot] = []

    def build(limiter: TelegramRateLimiter) -> Bot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api[1]))
        session.middleware(PacingMiddleware(limiter))
        bots.append(Bot(TOKEN, session=session))
        return bots[-1]

    yield build
    for bot in bots:
        await bot.session.close()


def fast_limiter() -> TelegramRateLimiter:
    """Real-time limits scaled so one private chat gets a message every GAP seconds."""
    return TelegramRateLimiter(RateLimits(private_burst=1).scaled(SPEEDUP))


class FrozenClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- which calls are paced ---------------------------------------------------------------


def test_only_calls_that_post_messages_cost_anything() -> None:
    album: list[MediaUnion] = [InputMediaPhoto(media="photo-id") for _ in range(4)]
    assert send_cost(SendMessage(chat_id=ALICE, text="hi")) == 1
    assert send_cost(SendPhoto(chat_id=ALICE, photo="photo-id")) == 1
    assert send_cost(SendMediaGroup(chat_id=ALICE, media=album)) == 4
    assert send_cost(ForwardMessages(chat_id=ALICE, from_chat_id=BOB, message_ids=[1, 2])) == 2
    assert send_cost(EditMessageText(chat_id=ALICE, message_id=1, text="x")) == 0
    assert send_cost(AnswerCallbackQuery(callback_query_id="q")) == 0
    assert send_cost(GetUpdates()) == 0
    assert target_chat(SendMessage(chat_id="@news", text="hi")) == "@news"
    assert target_chat(AnswerCallbackQuery(callback_query_id="q")) is None


# --- real HTTP ---------------------------------------------------------------------------


async def test_messages_to_one_chat_are_spaced(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    bot = paced_bot(fast_limiter())
    await asyncio.gather(*(bot.send_message(ALICE, f"#{n}") for n in range(3)))
    first, second, third = api[0].times(ALICE)
    assert second - first >= GAP - SLACK
    assert third - second >= GAP - SLACK


async def test_other_chats_are_not_held_back_by_a_busy_one(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    bot = paced_bot(fast_limiter())
    sends = [bot.send_message(chat, "hi") for chat in (ALICE, ALICE, ALICE, BOB, CAROL)]
    await asyncio.gather(*sends)
    alice_second = api[0].times(ALICE)[1]
    assert max(api[0].times(BOB) + api[0].times(CAROL)) < alice_second


async def test_a_chats_next_message_waits_for_the_previous_ones_answer(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    """Messages never race to a chat: they arrive in order and cannot bunch up later."""
    api[0].answer_after = 0.2
    limits = RateLimits(global_burst=10, private_burst=3).scaled(SPEEDUP)
    bot = paced_bot(TelegramRateLimiter(limits))  # the burst alone would let all three go
    sends = [bot.send_message(ALICE, f"#{n}") for n in range(3)]
    await asyncio.gather(*sends, bot.send_message(BOB, "hi"))
    first, second, third = api[0].times(ALICE)
    assert second - first >= 0.2 - SLACK and third - second >= 0.2 - SLACK
    assert api[0].times(BOB)[0] - first < 0.2  # another chat does not wait for Alice's


async def test_a_slow_albums_debt_counts_from_its_answer(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    """Telegram counts an album when it arrives: the next message waits out its debt from
    the answer, not from the grant, however long the upload took."""
    api[0].answer_after = 0.3
    limits = RateLimits(global_burst=10, private_burst=2).scaled(SPEEDUP)
    bot = paced_bot(TelegramRateLimiter(limits))
    album: list[MediaUnion] = [InputMediaPhoto(media=f"photo-{n}") for n in range(4)]
    await bot.send_media_group(ALICE, media=album)
    api[0].answer_after = 0.0
    await bot.send_message(ALICE, "after the album")
    album_at, next_at = api[0].times(ALICE)
    debt = 3 * GAP / limits.headroom  # from 2 - 4 = -2 tokens back to 1
    assert next_at - album_at >= 0.3 + debt - SLACK  # from the grant: only debt - 0.3


async def test_edits_are_not_paced(api: tuple[LoopbackBotApi, str], paced_bot: BotFactory) -> None:
    bot = paced_bot(fast_limiter())
    edits = [bot.edit_message_text(text=f"v{n}", chat_id=ALICE, message_id=1) for n in range(4)]
    await asyncio.gather(*edits)
    times = api[0].times(ALICE)
    assert len(times) == 4
    assert max(times) - min(times) < GAP  # paced, they would span 3 gaps


async def test_album_spends_one_token_per_photo(paced_bot: BotFactory) -> None:
    clock = FrozenClock()
    limits = RateLimits(global_burst=10, private_burst=3)
    limiter = TelegramRateLimiter(limits, monotonic=clock)
    bot = paced_bot(limiter)
    album: list[MediaUnion] = [InputMediaPhoto(media=f"photo-{n}") for n in range(3)]
    sent = await bot.send_media_group(ALICE, media=album)
    assert len(sent) == 3
    one_token = 1 / (limits.private_per_second * limits.headroom)
    assert limiter.reserve(ALICE) == pytest.approx(one_token)  # the burst of 3 is spent


async def test_flood_wait_blocks_that_chat_and_reaches_the_caller(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    clock = FrozenClock()
    limiter = TelegramRateLimiter(RateLimits(), monotonic=clock)
    bot = paced_bot(limiter)
    api[0].flooded[ALICE] = 7
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(ALICE, "hi")
    assert flood.value.retry_after == 7
    assert limiter.reserve(ALICE) == pytest.approx(7.0)
    clock.now += 1.0
    assert limiter.reserve(BOB) == 0.0


async def test_flood_wait_on_a_chatless_call_blocks_no_messages(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    limiter = TelegramRateLimiter(RateLimits(), monotonic=FrozenClock())
    bot = paced_bot(limiter)
    api[0].flooded[NO_CHAT] = 30
    with pytest.raises(TelegramRetryAfter):
        await bot.answer_callback_query("query-1")
    assert limiter.wait_time(ALICE) == 0.0


async def test_a_direct_answer_waits_out_one_flood_instead_of_failing(
    api: tuple[LoopbackBotApi, str], paced_bot: BotFactory
) -> None:
    fake = api[0]
    limiter = TelegramRateLimiter(RateLimits())
    bot = paced_bot(limiter)
    fake.flooded[ALICE] = 1
    fake.flood_once = True
    token = DIRECT_ANSWER.set(True)
    try:
        sent = await bot.send_message(ALICE, "your tracking code")
    finally:
        DIRECT_ANSWER.reset(token)
    assert sent.chat.id == ALICE
    first, second = fake.times(ALICE)
    assert second - first >= 0.9  # retry_after honoured before the one retry
