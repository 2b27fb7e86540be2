"""Abandoned drafts expire after DRAFT_TTL_HOURS, and their photos go with them."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from scheduler.jobs import expire_drafts
from tests.conversations.steps import (
    begin_with_photo,
    draft_data,
    file_report,
    fsm_records,
    go_to_description,
)
from tickets.clock import ManualClock


async def expire(app: SnapreportApp, settings: Settings, clock: ManualClock) -> None:
    await expire_drafts(
        app.session_factory,
        clock=clock,
        media=app.media_store,
        ttl_hours=settings.draft_ttl_hours,
    )


async def quiet(app: SnapreportApp) -> None:
    """Let the bot finish what it is handling before time moves.

    A handler may still write the draft after its answer is visible; moved first, the
    clock would stamp that write at the later time and the draft would look touched then.
    """
    await app.album_panels.wait_idle()
    await app.lanes.idle()


async def test_abandoned_draft_is_deleted_with_its_photos(
    citizen: ChatUser,
    client: EmulatorClient,
    app: SnapreportApp,
    settings: Settings,
    clock: ManualClock,
) -> None:
    await begin_with_photo(citizen, seed=31)
    [abandoned] = [p["sha256"] for p in (await draft_data(app, citizen.id))["photos"]]
    await quiet(app)
    clock.advance(timedelta(hours=settings.draft_ttl_hours - 1))
    neighbour = await client.chat_user(first_name="Li", language_code="en")
    await begin_with_photo(neighbour, seed=32)
    [fresh] = [p["sha256"] for p in (await draft_data(app, neighbour.id))["photos"]]

    await expire(app, settings, clock)
    assert await fsm_records(app, citizen.id), "not yet: the draft is younger than the TTL"

    await quiet(app)
    clock.advance(timedelta(hours=1, minutes=1))
    await expire(app, settings, clock)

    assert await fsm_records(app, citizen.id) == []
    assert not app.media_store.exists(abandoned)
    assert not app.media_store.exists(abandoned, suffix="_thumb.jpg")
    assert await fsm_records(app, neighbour.id) and app.media_store.exists(fresh)
    answer = await citizen.press("Next")
    assert answer.text is not None and "no longer active" in answer.text


async def test_a_step_answered_keeps_the_draft_alive(
    citizen: ChatUser, app: SnapreportApp, settings: Settings, clock: ManualClock
) -> None:
    await begin_with_photo(citizen, seed=33)
    clock.advance(timedelta(hours=settings.draft_ttl_hours - 1))
    await go_to_description(citizen)

    clock.advance(timedelta(hours=2))
    await expire(app, settings, clock)

    assert await fsm_records(app, citizen.id)


async def test_expiry_keeps_a_photo_that_is_evidence_elsewhere(
    citizen: ChatUser,
    client: EmulatorClient,
    app: SnapreportApp,
    settings: Settings,
    clock: ManualClock,
) -> None:
    await file_report(citizen, seed=34)
    neighbour = await client.chat_user(first_name="Li", language_code="en")
    await begin_with_photo(neighbour, seed=34)  # the same picture, stored once
    [shared] = [p["sha256"] for p in (await draft_data(app, neighbour.id))["photos"]]

    await quiet(app)
    clock.advance(timedelta(hours=settings.draft_ttl_hours + 1))
    await expire(app, settings, clock)

    assert await fsm_records(app, neighbour.id) == []
    assert app.media_store.exists(shared)
