"""Albums arriving while a panel refresh is still in flight: no panel is deleted twice.

The settle time is shorter than handling an album and the bot's own pacing is slow, so a
refresh is talking to Telegram while the next one comes due: the overlap that used to ask
Telegram to delete the same panel twice ("message to delete not found").
"""

from __future__ import annotations

import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.steps import (
    all_at_once,
    live_panels,
    many_citizens,
    photo_then_albums,
)

PANEL = "Step 1/5"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    slow = {"rate_global_per_second": 8.0, "rate_private_per_second": 8.0}
    return settings.model_copy(update={"album_settle_seconds": 0.05, **slow})


async def albums_after_a_photo(citizen: ChatUser, seed: int) -> int:
    """A photo (so there is a panel to replace), then three albums back to back."""
    return await photo_then_albums(citizen, seed, albums=3, size=3)


async def test_overlapping_refreshes_never_delete_a_panel_twice(
    client: EmulatorClient, app: SnapreportApp
) -> None:
    citizens = await many_citizens(client)
    before = await client.stats()

    seen = await all_at_once(app, citizens, albums_after_a_photo, seed=100)

    for citizen, actions in zip(citizens, seen, strict=True):
        deleted = [a.message_id for a in actions if a.kind == "delete"]
        sent = [a for a in actions if a.kind == "send" and PANEL in a.message.content]
        assert len(deleted) == len(set(deleted)) == len(sent)  # each old panel, once
        live = await live_panels(citizen, PANEL)
        assert len(live) == 1 and "Received: 10 photo" in live[0].content
    after = await client.stats()
    assert after.errors == before.errors  # no "message to delete not found", nor anything else
