"""Albums arriving while a panel refresh is still in flight: no panel is deleted twice.

The settle time is shorter than handling an album and the bot's own pacing is slow, so a
refresh is talking to Telegram while the next one comes due: the overlap that used to ask
Telegram to delete the same panel twice ("message to delete not found").
"""

from __future__ import annotations

import asyncio

import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.steps import actions_since
from tests.imagefactory import jpeg_bytes

PANEL = "Step 1/5"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    slow = {"rate_global_per_second": 8.0, "rate_private_per_second": 8.0}
    return settings.model_copy(update={"album_settle_seconds": 0.05, **slow})


async def albums_after_a_photo(citizen: ChatUser, seed: int) -> int:
    """A photo (so there is a panel to replace), then three albums back to back."""
    await citizen.send_photo(jpeg_bytes(seed=seed))
    await citizen.expect("Received: 1 photo")
    seq = citizen.seq
    for album in range(3):
        first = seed + 1 + 3 * album
        await citizen.send_album([jpeg_bytes(seed=n) for n in range(first, first + 3)])
    await citizen.expect("Received: 10 photo")
    return seq


async def test_overlapping_refreshes_never_delete_a_panel_twice(
    client: EmulatorClient, app: SnapreportApp
) -> None:
    citizens = [
        await client.chat_user(first_name=f"Citizen{n}", language_code="en") for n in range(5)
    ]
    before = await client.stats()

    seqs = await asyncio.gather(
        *(albums_after_a_photo(c, seed=100 + 10 * n) for n, c in enumerate(citizens))
    )
    await app.album_panels.wait_idle()

    for citizen, seq in zip(citizens, seqs, strict=True):
        actions = await actions_since(citizen, seq, within=0.1)
        deleted = [a.message_id for a in actions if a.kind == "delete"]
        sent = [a for a in actions if a.kind == "send" and PANEL in a.message.content]
        assert len(deleted) == len(set(deleted)) == len(sent)  # each old panel, once
        live = [m for m in await citizen.messages() if m.from_bot and PANEL in m.content]
        assert len(live) == 1 and "Received: 10 photo" in live[0].content
    after = await client.stats()
    assert after.errors == before.errors  # no "message to delete not found", nor anything else
