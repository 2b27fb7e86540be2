"""The bot's WeChat channel against the WeChat emulator, over real HTTP on loopback.

`tg_app` runs Telegram beside it on the same database, against the Telegram emulator, for
the staff side: `supervisor` works the WeChat citizens' tickets there.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.app import SnapreportApp
from bot.wechat_app import WeChatApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.server import EmulatorServer
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatConfig, WeChatEmulator
from tests.conftest import RATE_SCALE, intake_supervisor, stop_or_explain
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
def wechat_template_ids() -> dict[str, str]:
    """WECHAT_TEMPLATE_IDS of both apps (a test parametrises it to configure templates)."""
    return {}


@pytest.fixture
def wx_settings(
    wx: WeChatEmulator, tmp_path: Path, wechat_template_ids: dict[str, str]
) -> Settings:
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
        **wx.bot_settings(),
        wechat_template_ids=wechat_template_ids,
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


@pytest.fixture
async def tg_app(
    emulator: EmulatorServer, wx_settings: Settings, wx_app: WeChatApp, clock: ManualClock
) -> AsyncIterator[SnapreportApp]:
    """Telegram on the WeChat app's database (started after it, so migrated by it)."""
    settings = Settings(
        _env_file=None,
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_url=wx_settings.database_url,
        media_dir=wx_settings.media_dir,
        admin_ids=wx_settings.admin_ids,
        poll_timeout=1,
        digests_enabled=False,
        # The staff's actions enqueue the reporter's notices, templates included.
        wechat_template_ids=wx_settings.wechat_template_ids,
        rate_global_per_second=30.0 * RATE_SCALE,
        rate_private_per_second=1.0 * RATE_SCALE,
        rate_group_per_minute=20.0 * RATE_SCALE,
    )
    application = SnapreportApp(settings, clock=clock)
    await application.start()
    yield application
    await stop_or_explain(application)


@pytest.fixture
async def supervisor(client: EmulatorClient, tg_app: SnapreportApp) -> ChatUser:
    """A supervisor of the intake department, on Telegram."""
    return await intake_supervisor(client, tg_app)
