"""Albums: one panel per album and chat, however many citizens send albums at once."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.steps import (
    all_at_once,
    live_panels,
    many_citizens,
    photo_then_albums,
)

PANEL = "Step 1/5"


async def album_after_a_photo(citizen: ChatUser, seed: int) -> int:
    """A photo (so there is a panel to replace), then an album of four."""
    return await photo_then_albums(citizen, seed, albums=1, size=4)


async def test_concurrent_albums_each_get_exactly_one_panel(
    client: EmulatorClient, app: SnapreportApp
) -> None:
    citizens = await many_citizens(client)
    before = await client.stats()

    seen = await all_at_once(app, citizens, album_after_a_photo, seed=200)

    for citizen, actions in zip(citizens, seen, strict=True):
        assert [a.kind for a in actions] == ["delete", "send"]  # the old panel, the new one
        assert PANEL in actions[1].message.content
        live = await live_panels(citizen, PANEL)
        assert len(live) == 1
    after = await client.stats()
    assert after.requests.get("deleteMessage", 0) - before.requests.get("deleteMessage", 0) == 5
    assert after.errors == before.errors  # no failing deleteMessage, nor anything else
