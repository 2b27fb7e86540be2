"""Ways into a report: a QR code's deep link, a plain /start, /report, or just a photo."""

from __future__ import annotations

import pytest

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.models import RoutingRule, SourceTag
from tests.conftest import make_department
from tests.conversations.steps import (
    begin_with_photo,
    draft_data,
    file_at_the_offered_place,
    file_from_photos,
    fsm_records,
    ticket_by_code,
)
from tests.imagefactory import jpeg_bytes

PLACE = "Service hall of Huangpu tax office, window 3"


async def add_tag(app: SnapreportApp, tag: str, *, department_id: int | None = None) -> None:
    async with app.session_factory() as session, session.begin():
        session.add(SourceTag(tag=tag, place_text=PLACE, department_id=department_id))
        if department_id is not None:
            session.add(RoutingRule(department_id=department_id, source_tag=tag))


async def test_qr_payload_prefills_the_place_and_tags_the_ticket(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    tax = await make_department(app, "Huangpu tax office")
    await add_tag(app, "hp-tax_03", department_id=tax)

    await citizen.start("hp-tax_03")
    await citizen.expect("You are reporting about: " + PLACE)
    panel = await citizen.expect("Step 1/5")
    assert PLACE in panel.content
    await citizen.send_photo(jpeg_bytes(seed=1))
    await citizen.expect("Received: 1 photo")
    code = await file_at_the_offered_place(citizen, PLACE[:20])

    ticket = await ticket_by_code(app, code)
    assert ticket.source_tag == "hp-tax_03"
    assert ticket.place_text == PLACE
    assert ticket.department_id == tax


async def test_qr_tag_stays_when_the_place_is_skipped(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await add_tag(app, "gate7")
    await citizen.start("gate7")
    await citizen.expect("Step 1/5")
    await begin_with_photo(citizen)
    code = await file_from_photos(citizen)

    ticket = await ticket_by_code(app, code)
    assert (ticket.source_tag, ticket.place_text) == ("gate7", None)


@pytest.mark.parametrize(
    "payload",
    [
        "no-such-tag",  # well formed, unknown
        "bad tag!",  # characters a deep link cannot carry
        "x" * 65,  # longer than Telegram allows
        "%27%3B--",
    ],
    ids=["unknown", "bad-characters", "too-long", "escaped"],
)
async def test_unknown_or_malformed_payload_gives_the_normal_greeting(
    citizen: ChatUser, app: SnapreportApp, payload: str
) -> None:
    await citizen.start(payload)

    greeting = await citizen.expect("snap-a-photo channel")
    assert "reporting about" not in greeting.content
    await citizen.expect_nothing()
    assert await fsm_records(app, citizen.id) == []


async def test_a_photo_without_a_command_starts_a_report(citizen: ChatUser) -> None:
    await citizen.send_photo(jpeg_bytes(seed=3))

    panel = await citizen.expect("Step 1/5")
    assert "Received: 1 photo" in panel.content


async def test_report_command_asks_for_a_photo_first(citizen: ChatUser) -> None:
    await citizen.command("report")
    await citizen.expect("Step 1/5")

    await citizen.send("Somebody is sleeping at the desk")
    await citizen.expect("Please send a photo first")
    await citizen.send_location(31.2, 121.4)
    await citizen.expect("Please send a photo")


async def test_qr_link_mid_draft_keeps_the_photos_and_takes_the_place(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await add_tag(app, "gate9")
    await begin_with_photo(citizen)

    await citizen.start("gate9")

    await citizen.expect("You have a report in progress")
    panel = await citizen.expect("Step 1/5")
    assert "Received: 1 photo" in panel.content and PLACE in panel.content
    data = await draft_data(app, citizen.id)
    assert (data["source_tag"], data["place_text"]) == ("gate9", PLACE)
