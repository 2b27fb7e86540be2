"""A draft lives in the database: the bot restarts mid-draft and the citizen carries on."""

from __future__ import annotations

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser
from tests.conversations.steps import (
    categorize,
    confirm,
    draft_data,
    evidence_of,
    skip_place,
    stay_anonymous,
    ticket_by_code,
)
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock


async def test_restart_mid_draft_continues_to_a_filed_ticket(
    citizen: ChatUser, app: SnapreportApp, settings: Settings, clock: ManualClock
) -> None:
    await citizen.send_photo(jpeg_bytes(seed=21))
    await citizen.expect("Received: 1 photo")
    await citizen.send_photo(jpeg_bytes(seed=22))
    await citizen.expect("Received: 2 photo")
    await citizen.press("Next")
    await citizen.expect("Step 2/5")
    await citizen.send("The duty officer left the window at 10 and never came back")
    await citizen.expect("Step 3/5")
    photos_before = [p["sha256"] for p in (await draft_data(app, citizen.id))["photos"]]

    await app.stop()
    restarted = SnapreportApp(settings, clock=clock)
    await restarted.start()
    try:
        await categorize(citizen, "Absent from post")  # a button on the panel from before
        await skip_place(citizen)
        await stay_anonymous(citizen)
        preview = await citizen.last()
        assert preview is not None and "Photos: 2" in preview.content
        code = await confirm(citizen)

        ticket = await ticket_by_code(restarted, code)
        assert ticket.category == "absent" and ticket.description.startswith("The duty officer")
        evidence = await evidence_of(restarted, ticket.id)
        assert [e.sha256 for e in evidence] == photos_before
        assert all(restarted.media_store.exists(sha) for sha in photos_before)
    finally:
        await restarted.stop()


async def test_restart_before_any_answer_keeps_the_photo(
    citizen: ChatUser, app: SnapreportApp, settings: Settings, clock: ManualClock
) -> None:
    await citizen.send_photo(jpeg_bytes(seed=23))
    await citizen.expect("Received: 1 photo")

    await app.stop()
    restarted = SnapreportApp(settings, clock=clock)
    await restarted.start()
    try:
        await citizen.send_photo(jpeg_bytes(seed=24))
        await citizen.expect("Received: 2 photo")
    finally:
        await restarted.stop()
