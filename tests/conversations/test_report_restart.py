"""A draft lives in the database: the bot restarts mid-draft and the citizen carries on."""

from __future__ import annotations

from typing import Any

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser
from storage.models import FsmRecord
from tests.conversations.steps import (
    begin_with_photo,
    categorize,
    confirm,
    describe,
    draft_data,
    evidence_of,
    fsm_records,
    go_to_description,
    skip_place,
    stay_anonymous,
    ticket_by_code,
)
from tests.factories import add_department
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock


async def test_restart_mid_draft_continues_to_a_filed_ticket(
    citizen: ChatUser, app: SnapreportApp, settings: Settings, clock: ManualClock
) -> None:
    await citizen.send_photo(jpeg_bytes(seed=21))
    await citizen.expect("Received: 1 photo")
    await citizen.send_photo(jpeg_bytes(seed=22))
    await citizen.expect("Received: 2 photo")
    await go_to_description(citizen)
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


async def test_a_draft_stored_with_the_whole_directory_by_an_earlier_version_carries_on(
    citizen: ChatUser, app: SnapreportApp, settings: Settings, clock: ManualClock
) -> None:
    transport = await add_department(app.session_factory, "Transport Bureau")
    tax = await add_department(app.session_factory, "Tax Bureau")
    await to_unit_step(citizen)
    assert "units" not in await draft_data(app, citizen.id)  # read when drawn, not stored

    await app.stop()
    # An earlier version kept the directory in every draft, as [id, name] pairs.
    await rewrite_draft(app, citizen.id, units=[[transport, "Transport Bureau"], [tax, "Tax"]])
    restarted = SnapreportApp(settings, clock=clock)
    await restarted.start()
    try:
        await citizen.press("Tax Bureau")  # a button of the panel drawn before the restart
        await citizen.expect("Step 4/5")
        await skip_place(citizen)
        await stay_anonymous(citizen)
        preview = await citizen.last()
        assert preview is not None and "Unit reported: Tax Bureau" in preview.content
        ticket = await ticket_by_code(restarted, await confirm(citizen))
        assert ticket.accused_department_id == tax
    finally:
        await restarted.stop()


async def test_an_earlier_drafts_directory_is_dropped_when_the_unit_step_opens_again(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    tax = await add_department(app.session_factory, "Tax Bureau")
    await to_unit_step(citizen)
    await rewrite_draft(app, citizen.id, units=[[tax, "Tax Bureau"]], unit_filter="tax")
    await citizen.press("Back")
    await citizen.expect("Which kind of misconduct is it?")
    await citizen.press("Absent from post")
    panel = await citizen.expect("Which unit is the report about?")
    assert "Tax Bureau" in [b.text for b in panel.inline_buttons]  # read from the directory
    data = await draft_data(app, citizen.id)
    assert not {"units", "unit_filter", "unit_page"} & data.keys()  # the whole list, page 1


async def to_unit_step(citizen: ChatUser) -> None:
    await begin_with_photo(citizen)
    await describe(citizen)
    await citizen.press("Improper dining")
    await citizen.expect("Which unit is the report about?")


async def rewrite_draft(app: SnapreportApp, user_id: int, **fields: Any) -> None:
    """Store the chat's draft with `fields` added, as another version of the bot would have."""
    [record] = await fsm_records(app, user_id)
    async with app.session_factory() as session, session.begin():
        row = await session.get(FsmRecord, record.key)
        assert row is not None
        row.data = {**row.data, **fields}
