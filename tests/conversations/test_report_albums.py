"""Albums: one panel per album and chat, however many citizens send albums at once."""

from __future__ import annotations

import asyncio

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.steps import actions_since
from tests.imagefactory import jpeg_bytes

PANEL = "Step 1/5"


async def album_after_a_photo(citizen: ChatUser, seed: int) -> int:
    """A photo (so there is a panel to replace), then an album of four."""
    await citizen.send_photo(jpeg_bytes(seed=seed))
    await citizen.expect("Received: 1 photo")
    seq = citizen.seq
    await citizen.send_album([jpeg_bytes(seed=seed + n) for n in range(1, 5)])
    await citizen.expect("Received: 5 photo")
    return seq


async def test_concurrent_albums_each_get_exactly_one_panel(
    client: EmulatorClient, app: SnapreportApp
) -> None:
    citizens = [
        await client.chat_user(first_name=f"Citizen{n}", language_code="en") for n in range(5)
    ]
    before = await client.stats()

    seqs = await asyncio.gather(
        *(album_after_a_photo(c, seed=200 + 10 * n) for n, c in enumerate(citizens))
    )
    await app.album_panels.wait_idle()

    for citizen, seq in zip(citizens, seqs, strict=True):
        actions = await actions_since(citizen, seq, within=0.1)
        assert [a.kind for a in actions] == ["delete", "send"]  # the old panel, the new one
        assert PANEL in actions[1].message.content
        live = [m for m in await citizen.messages() if m.from_bot and PANEL in m.content]
        assert len(live) == 1
    after = await client.stats()
    assert after.requests.get("deleteMessage", 0) - before.requests.get("deleteMessage", 0) == 5
    assert after.errors == before.errors  # no failing deleteMessage, nor anything else
