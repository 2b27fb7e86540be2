"""The bot's WeChat channel against the WeChat emulator, over real HTTP on loopback."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.wechat_app import WeChatApp
from config.settings import Settings
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatConfig, WeChatEmulator
from tickets.clock import ManualClock

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ADMIN_ID = 4242


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def wx() -> AsyncIterator[WeChatEmulator]:
    # One second, not WeChat's five: a test that waits for an answer should not wait long.
    server = WeChatEmulator(WeChatConfig(answer_timeout=1.0))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def wx_settings(wx: WeChatEmulator, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'wx.sqlite3'}",
        media_dir=tmp_path / "media",
        digests_enabled=False,
        # With no supervisors yet, a new ticket's alert goes to the administrators.
        admin_ids=frozenset({ADMIN_ID}),
        webhook_host="127.0.0.1",
        webhook_port=free_port(),
        wechat_app_id=wx.config.app_id,
        wechat_app_secret=wx.config.app_secret,
        wechat_token=wx.config.token,
        wechat_aes_key=wx.config.aes_key,
        wechat_api_url=wx.url,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def wx_app(
    wx: WeChatEmulator, wx_settings: Settings, clock: ManualClock
) -> AsyncIterator[WeChatApp]:
    app = WeChatApp(wx_settings, clock=clock)
    await app.start()
    wx.bot_url = f"http://127.0.0.1:{wx_settings.webhook_port}/wechat"
    yield app
    await app.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def follower(wx: WeChatEmulator, wx_app: WeChatApp, http: aiohttp.ClientSession) -> WeChatUser:
    return WeChatUser(http, wx.url, "oFollower0000000000000000001")
