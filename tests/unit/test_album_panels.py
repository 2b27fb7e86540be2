"""AlbumPanels: one refresh per chat at a time, a refresh in flight is never cut short."""

from __future__ import annotations

import asyncio

from handlers.album_panels import AlbumPanels


async def test_a_refresh_in_flight_is_not_cancelled_and_the_next_waits_for_it() -> None:
    panels = AlbumPanels(settle_seconds=0)
    in_flight, release = asyncio.Event(), asyncio.Event()
    done: list[str] = []
    running = 0

    async def refresh(name: str) -> None:
        nonlocal running
        running += 1
        assert running == 1, "two refreshes of one chat at once"
        in_flight.set()
        if name == "first":
            await release.wait()  # Telegram is still deleting the old panel
        running -= 1
        done.append(name)

    panels.schedule(1, lambda: refresh("first"))
    await in_flight.wait()
    panels.schedule(1, lambda: refresh("second"))  # the next album's photo arrives
    await asyncio.sleep(0)
    release.set()
    await panels.wait_idle()

    assert done == ["first", "second"]


async def test_a_new_photo_restarts_only_a_waiting_refresh() -> None:
    panels = AlbumPanels(settle_seconds=0)
    done: list[str] = []

    async def refresh(name: str) -> None:
        done.append(name)

    panels.schedule(1, lambda: refresh("stale"), delay=3600)
    panels.schedule(1, lambda: refresh("settled"))
    panels.schedule(2, lambda: refresh("other chat"))
    await panels.wait_idle()

    assert sorted(done) == ["other chat", "settled"]


async def test_close_cancels_waiting_refreshes_and_refuses_new_ones() -> None:
    panels = AlbumPanels(settle_seconds=3600)
    done: list[str] = []

    async def refresh() -> None:
        done.append("ran")

    panels.schedule(1, refresh)
    assert panels.pending(1)
    await panels.close()
    panels.schedule(2, refresh, delay=0)
    await asyncio.sleep(0)

    assert done == [] and not panels.pending(1) and not panels.pending(2)


async def test_a_due_refresh_waits_while_the_chats_updates_are_still_handled() -> None:
    """The album's last photo still in the lane when the settle time is up: one panel."""
    lane_busy = {1: True}
    panels = AlbumPanels(settle_seconds=0, busy=lambda chat_id: lane_busy.get(chat_id, False))
    done: list[str] = []

    async def refresh(name: str) -> None:
        done.append(name)

    panels.schedule(1, lambda: refresh("three photos"))
    panels.schedule(2, lambda: refresh("other chat"))
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert done == ["other chat"] and panels.pending(1)  # chat 1 waits for its lane
    panels.schedule(1, lambda: refresh("four photos"))  # the fourth photo's handler
    lane_busy[1] = False
    await panels.wait_idle()

    assert done == ["other chat", "four photos"]


async def test_a_lane_that_never_idles_delays_the_panel_only_up_to_max_wait() -> None:
    panels = AlbumPanels(settle_seconds=0, busy=lambda chat_id: True, max_wait=0.1)
    done: list[str] = []

    async def refresh() -> None:
        done.append("ran")

    panels.schedule(1, refresh)
    await panels.wait_idle()

    assert done == ["ran"]
