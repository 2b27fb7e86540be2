"""A citizen files a report through the emulator, photo first, as on a phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.models import OutboxMessage
from tests.conversations.steps import (
    DESCRIPTION,
    actions_since,
    ask_for_real_name,
    begin_with_photo,
    categorize,
    code_of,
    confirm,
    confirm_anonymously,
    count_tickets,
    describe,
    draft_data,
    edit_from_preview,
    events_of,
    evidence_of,
    file_report,
    finish_anonymously,
    fsm_records,
    go_to_description,
    next_past_caption,
    reporter_of,
    skip_place,
    stay_anonymous,
    the_one_panel,
    ticket_by_code,
    to_identity,
    to_place,
    to_preview,
)
from tests.imagefactory import jpeg_bytes


async def test_happy_path_with_one_photo_files_a_ticket(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_report(citizen)

    ticket = await ticket_by_code(app, code)
    assert ticket.state == "new" and ticket.category == "idle" and ticket.anonymous
    assert ticket.description == DESCRIPTION
    assert ticket.accept_by is not None and ticket.resolve_by is not None
    assert len(await evidence_of(app, ticket.id)) == 1
    assert [e.kind for e in await events_of(app, ticket.id)] == ["submitted"]
    assert await fsm_records(app, citizen.id) == []  # the draft is forgotten once filed
    await citizen.command("status", code)
    await citizen.expect("Status: New")


async def test_steps_edit_one_panel_in_place(citizen: ChatUser) -> None:
    await to_preview(citizen)

    assert "Please check your report" in (await the_one_panel(citizen)).content


async def test_album_of_five_gives_one_panel_and_five_evidence_rows(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    seq = citizen.seq
    await citizen.send_album([jpeg_bytes(seed=s) for s in range(10, 15)])

    await citizen.expect("Received: 5 photo", timeout=10)  # five downloads, then the settle
    actions = await actions_since(citizen, seq)
    sent = [a for a in actions if a.kind == "send"]
    assert len(sent) == 1, [a.message.describe() for a in actions]
    await describe(citizen)
    await categorize(citizen)
    await skip_place(citizen)
    preview = await stay_anonymous(citizen)
    assert "Photos: 5" in preview.content
    code = await confirm(citizen)

    ticket = await ticket_by_code(app, code)
    evidence = await evidence_of(app, ticket.id)
    assert len(evidence) == 5
    assert len({e.sha256 for e in evidence}) == 5


async def test_caption_becomes_the_description_and_skips_step_two(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    caption = "The officer at the gate asked me for a red envelope"
    await begin_with_photo(citizen, caption=caption)

    await next_past_caption(citizen)
    await categorize(citizen, "red envelopes")
    code = await finish_anonymously(citizen)

    ticket = await ticket_by_code(app, code)
    assert ticket.description == caption and ticket.category == "gifts"


async def test_short_caption_is_not_a_description(citizen: ChatUser) -> None:
    await begin_with_photo(citizen, caption="看!")

    await go_to_description(citizen)


async def test_typing_after_the_photos_is_taken_as_the_description(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await begin_with_photo(citizen)

    await citizen.send("Nobody at the service desk since nine")
    await citizen.expect("Step 3/5")


async def test_real_name_report_keeps_name_and_phone_on_the_reporter(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_identity(citizen)
    await ask_for_real_name(citizen)

    await citizen.tap("Share my phone number")
    await citizen.expect("Thank you, Wei Zhang")
    preview = await citizen.expect("Please check your report")
    assert citizen.phone_number in preview.content
    code = await confirm(citizen)

    ticket = await ticket_by_code(app, code)
    assert not ticket.anonymous
    reporter = await reporter_of(app, citizen.id)
    assert reporter is not None
    assert (reporter.real_name, reporter.phone) == ("Wei Zhang", citizen.phone_number)


async def test_anonymous_report_stores_no_name_or_phone(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_report(citizen)

    assert (await ticket_by_code(app, code)).anonymous
    reporter = await reporter_of(app, citizen.id)
    assert reporter is not None
    assert (reporter.real_name, reporter.phone) == (None, None)


async def test_someone_elses_contact_is_refused(citizen: ChatUser, app: SnapreportApp) -> None:
    await to_identity(citizen)
    await ask_for_real_name(citizen)

    await citizen.client.send_contact(
        citizen.id, "+8613900000000", "Li", contact_user_id=citizen.id + 1, chat_id=citizen.id
    )
    await citizen.expect("share your own number")
    await citizen.client.send_contact(citizen.id, "+8613900000001", "Li", chat_id=citizen.id)
    await citizen.expect("share your own number")
    await citizen.expect_nothing()

    await citizen.tap("Share my phone number")
    await citizen.expect("Please check your report")
    reporter = await reporter_of(app, citizen.id)
    assert reporter is None or reporter.phone is None  # nothing is kept before Confirm


async def test_changing_the_mind_back_to_anonymous_drops_the_phone(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_identity(citizen)
    await ask_for_real_name(citizen)
    await citizen.tap("Share my phone number")
    await citizen.expect("Please check your report")
    await edit_from_preview(citizen, "Identity", "Step 5/5")
    preview = await stay_anonymous(citizen)
    assert citizen.phone_number not in preview.content

    code = await confirm(citizen)
    assert (await ticket_by_code(app, code)).anonymous
    reporter = await reporter_of(app, citizen.id)
    assert reporter is not None and reporter.phone is None


async def test_shared_location_is_kept_on_the_ticket(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_place(citizen)
    await citizen.expect("Or use the button")

    await citizen.tap("Share my location", location=(31.2304, 121.4737))
    await citizen.expect("Step 5/5")
    code = await confirm_anonymously(citizen)

    ticket = await ticket_by_code(app, code)
    assert (ticket.latitude, ticket.longitude) == (31.2304, 121.4737)


async def test_typed_address_is_the_place(citizen: ChatUser, app: SnapreportApp) -> None:
    await to_place(citizen)

    await citizen.send("No. 1 Renmin Road, service hall")
    await citizen.expect("Step 5/5")
    code = await confirm_anonymously(citizen)

    assert (await ticket_by_code(app, code)).place_text == "No. 1 Renmin Road, service hall"


async def test_edit_from_the_preview_changes_the_category(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_preview(citizen)

    await edit_from_preview(citizen, "Category", "Step 3/5")
    await citizen.press("Improper dining")
    preview = await citizen.expect("Please check your report")
    assert "Category: Improper dining" in preview.content
    code = await confirm(citizen)

    ticket = await ticket_by_code(app, code)
    assert ticket.category == "banquet" and ticket.description == DESCRIPTION


async def test_edit_the_description_returns_to_the_preview(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_preview(citizen)

    await edit_from_preview(citizen, "Description", "Step 2/5")
    await citizen.send("Actually it was the clerk at window 4")
    preview = await citizen.expect("Please check your report")
    assert "window 4" in preview.content
    code = await confirm(citizen)

    assert (await ticket_by_code(app, code)).description == "Actually it was the clerk at window 4"


async def test_edit_photos_adds_one_and_returns_to_the_preview(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_preview(citizen)

    await edit_from_preview(citizen, "Photos", "Step 1/5")
    await citizen.send_photo(jpeg_bytes(seed=2))
    await citizen.expect("Received: 2 photo")
    await citizen.press("Next")
    preview = await citizen.expect("Please check your report")
    assert "Photos: 2" in preview.content
    code = await confirm(citizen)

    assert len(await evidence_of(app, (await ticket_by_code(app, code)).id)) == 2


async def test_back_button_returns_to_the_previous_step(citizen: ChatUser) -> None:
    await begin_with_photo(citizen)
    await describe(citizen)

    await citizen.press("Back")
    await citizen.expect("Step 2/5")
    await citizen.press("Back")
    await citizen.expect("Step 1/5")


async def test_confirm_pressed_twice_files_one_ticket(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await to_preview(citizen)
    preview = next(m for m in await citizen.messages() if "Please check" in m.content)

    first = await citizen.press_on(preview, "Confirm")
    second = await citizen.press_on(preview, "Confirm")

    code = code_of(await citizen.expect("Tracking code"))
    assert first.answered and second.answered
    assert second.text is not None and code in second.text
    assert await count_tickets(app) == 1


async def test_album_caption_becomes_the_description(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    caption = "Three officers eating at the banquet hall on a Tuesday noon"
    await citizen.send_album([jpeg_bytes(seed=s) for s in (50, 51, 52)], caption)
    await citizen.expect("Received: 3 photo")

    await next_past_caption(citizen)
    await categorize(citizen, "Improper dining")
    code = await finish_anonymously(citizen)

    assert (await ticket_by_code(app, code)).description == caption


async def test_the_same_photo_twice_is_added_once(citizen: ChatUser, app: SnapreportApp) -> None:
    await begin_with_photo(citizen, seed=60)

    await citizen.send_photo(jpeg_bytes(seed=60))

    await citizen.expect("already added this photo")
    await citizen.expect_nothing()
    assert len((await draft_data(app, citizen.id))["photos"]) == 1


async def test_typing_where_a_button_is_expected_brings_the_panel_back(
    citizen: ChatUser,
) -> None:
    await begin_with_photo(citizen)
    await describe(citizen)

    await citizen.send("the phone one")

    await citizen.expect("Please use the buttons")
    await citizen.expect("Step 3/5")
    assert "Step 3/5" in (await the_one_panel(citizen)).content  # moved down, not doubled


async def test_a_double_tap_on_a_category_does_not_skip_a_step(citizen: ChatUser) -> None:
    await begin_with_photo(citizen)
    await describe(citizen)
    panel = next(m for m in await citizen.messages() if "Step 3/5" in m.content)
    await citizen.press("Improper dining")
    await citizen.expect("Which unit is the report about?")

    again = await citizen.press_on(panel, "Improper dining")

    assert again.text is not None and "no longer active" in again.text
    await citizen.expect_nothing()


async def test_same_photo_in_another_report_is_flagged_as_a_possible_duplicate(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    first = await file_report(citizen, seed=70)
    second = await file_report(citizen, seed=70, description="The same clerk again, today")

    ticket = await ticket_by_code(app, second)
    async with app.session_factory() as session:
        cards = list(
            await session.scalars(
                select(OutboxMessage).where(
                    col(OutboxMessage.ticket_id) == ticket.id, col(OutboxMessage.purpose) == "card"
                )
            )
        )
    assert cards and all("⚠️" in card.payload["text"] for card in cards)
    assert all(first in card.payload["text"].split("⚠️")[1] for card in cards)
