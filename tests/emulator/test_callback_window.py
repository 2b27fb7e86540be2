"""Telegram answers a button press only within its window (~15 s), and only once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from emulator import ChatUser, EmulatorClient, EmulatorConfig

from .conftest import FakeClock

TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(clock: FakeClock) -> EmulatorConfig:
    return EmulatorConfig(rate_limits=False, monotonic=clock)


@pytest.fixture
async def pressed(bot: Bot, client: EmulatorClient) -> AsyncIterator[str]:
    """The id of a press on a fresh message, not answered yet."""
    ann: ChatUser = await client.chat_user(first_name="Ann")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
    )
    await bot.send_message(ann.id, "Press", reply_markup=markup)
    await ann.press("Go", wait=0)
    query = (await bot.get_updates())[-1].callback_query
    assert query is not None
    yield query.id


async def test_an_answer_within_the_window_is_taken(
    bot: Bot, pressed: str, clock: FakeClock
) -> None:
    clock.advance(14.5)
    assert await bot.answer_callback_query(pressed, text="ok")


async def test_an_answer_after_the_window_is_too_old(
    bot: Bot, pressed: str, clock: FakeClock
) -> None:
    clock.advance(15.5)
    with pytest.raises(TelegramBadRequest, match=TOO_OLD):
        await bot.answer_callback_query(pressed)


async def test_expiring_presses_through_the_control_api(
    bot: Bot, pressed: str, client: EmulatorClient
) -> None:
    assert await client.expire_callbacks() == 1
    with pytest.raises(TelegramBadRequest, match=TOO_OLD):
        await bot.answer_callback_query(pressed)
