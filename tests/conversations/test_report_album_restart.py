"""The bot restarts inside an album's settle window: the photos are kept and the panel comes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser
from tests.conversations.steps import draft_data, fsm_records
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock

SETTLE = 30.0  # far longer than the test: the bot stops while the album is still settling


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"album_settle_seconds": SETTLE})


async def photos_in_draft(app: SnapreportApp, user_id: int, count: int) -> dict[str, Any]:
    """The draft once the bot has taken `count` photos (each photo is its own update)."""
    for _ in range(200):
        records = await fsm_records(app, user_id)
        if records and len(records[0].data.get("photos", [])) == count:
            return dict(records[0].data)
        await asyncio.sleep(0.05)  # polls the database for the bot's progress, not the time
    raise AssertionError(f"the draft never held {count} photos")


async def test_restart_inside_the_settle_window_still_shows_the_album_panel(
    citizen_zh: ChatUser, app: SnapreportApp, settings: Settings, clock: ManualClock
) -> None:
    await citizen_zh.send_album([jpeg_bytes(seed=s) for s in (31, 32, 33)])
    data = await photos_in_draft(app, citizen_zh.id, 3)
    assert data["album_panel_locale"] == "zh_CN"
    await citizen_zh.expect_nothing(within=0.3)  # still settling: no panel yet

    await app.stop()
    restarted = SnapreportApp(settings, clock=clock)
    await restarted.start()
    try:
        panel = await citizen_zh.expect("第 1/5 步")
        assert "3" in panel.content
        await citizen_zh.expect_nothing(within=0.3)
        assert not (await draft_data(restarted, citizen_zh.id)).get("album_panel_locale")
    finally:
        await restarted.stop()
