"""Albums: one panel per album and chat, however many citizens send albums at once."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import SnapreportApp
from bot.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.steps import actions_since
from tests.imagefactory import jpeg_bytes

PANEL = "Step 1/5"
# Short enough that an album's panel is being refreshed while the next album's photos come
# in: the overlap that used to delete one panel twice.
SETTLE = 0.05


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"album_settle_seconds": SETTLE})


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


async def test_concurrent_albums_each_get_one_panel_and_no_failed_delete(
    client: EmulatorClient, app: SnapreportApp
) -> None:
    citizens = [
        await client.chat_user(first_name=f"Citizen{n}", language_code="en") for n in range(5)
    ]
    before = await client.stats()

    seqs = await asyncio.gather(
        *(albums_after_a_photo(c, seed=100 + 10 * n) for n, c in enumerate(citizens))
    )

    for citizen, seq in zip(citizens, seqs, strict=True):
        await actions_since(citizen, seq, within=0.5)  # past the settle window
        live = [m for m in await citizen.messages() if m.from_bot and PANEL in m.content]
        assert len(live) == 1 and "Received: 10 photo" in live[0].content
    after = await client.stats()
    assert after.errors == before.errors  # no "message to delete not found", nor anything else
