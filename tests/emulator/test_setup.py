"""Running the emulator: several bots side by side, channels, and `python -m emulator`."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

from emulator import (
    BotIdentity,
    ControlApiError,
    EmulatorClient,
    EmulatorConfig,
    EmulatorServer,
)
from emulator.__main__ import parse_args, start

from .conftest import LoopbackSession

OTHER = BotIdentity(token="987654321:other-token", username="other_bot", first_name="Other")


@pytest.mark.parametrize(
    "config", [EmulatorConfig(bots=(BotIdentity(), OTHER), rate_limits=False)]
)
async def test_each_bot_has_its_own_world(bot: Bot, emulator: EmulatorServer) -> None:
    other = Bot(
        OTHER.token, session=LoopbackSession(api=TelegramAPIServer.from_base(emulator.url))
    )
    try:
        assert (await other.get_me()).username == "other_bot"
        async with EmulatorClient(emulator.url, bot="other_bot") as client:
            ann = await client.chat_user()
            await ann.send("to the other bot")
        assert [u.message.text for u in await other.get_updates() if u.message] == [
            "to the other bot"
        ]
        assert await bot.get_updates() == []
    finally:
        await other.session.close()


async def test_channel_posts_carry_the_sender_chat(bot: Bot, client: EmulatorClient) -> None:
    channel = await client.create_channel("City news", username="city_news")
    posted = await bot.send_message("@city_news", "Digest")
    assert posted.chat.id == channel.id and posted.chat.type == "channel"
    assert posted.sender_chat is not None and posted.from_user is None


async def test_python_m_emulator_prints_url_and_token(capsys: pytest.CaptureFixture[str]) -> None:
    server = await start(parse_args(["--port", "0", "--no-limits"]))
    await server.stop()
    captured = capsys.readouterr()
    printed = captured.out
    assert "TELEGRAM_API_URL=http://127.0.0.1:" in printed
    assert "BOT_TOKEN=123456789:snapreport-emulator-token" in printed
    assert f"EMULATOR_CONTROL_TOKEN={server.control_token}" in printed
    assert "WARNING" not in captured.err


async def test_python_m_emulator_stays_on_loopback_unless_public(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit, match="pass --public"):
        await start(parse_args(["--host", "0.0.0.0", "--port", "0"]))
    # --public with a loopback --host: the warning without opening a port to the network.
    server = await start(parse_args(["--public", "--host", "127.0.0.1", "--port", "0"]))
    await server.stop()
    assert "WARNING: the emulator listens on 127.0.0.1" in capsys.readouterr().err


async def test_the_control_api_refuses_requests_without_its_token(
    emulator: EmulatorServer, http: aiohttp.ClientSession
) -> None:
    async with EmulatorClient(emulator.url) as client:  # finds the token by itself
        ann = await client.chat_user(first_name="Ann")
    users = f"{emulator.url}/control/users"
    async with http.post(users, json={"first_name": "Mallory"}) as response:
        assert response.status == 401
    transcript = f"{emulator.url}/control/chats/{ann.id}/transcript"
    wrong = {"Authorization": "Bearer " + "x" * len(emulator.control_token)}
    async with http.get(transcript, headers=wrong) as response:
        assert response.status == 401
    async with EmulatorClient(emulator.url, token="wrong") as stranger:
        with pytest.raises(ControlApiError) as refused:
            await stranger.stats()
    assert refused.value.status == 401
