"""'Me too' (我也遇到了): a citizen whose draft looks like an open ticket can join it instead of
filing; a supporter hears the reply and gets a survey of their own, never the tracking code."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from handlers.reporter import Nav
from storage.models import Supporter
from tests.conversations.staff import deliver, prefer_language, press_data, staff_action
from tests.conversations.steps import (
    DESCRIPTION,
    categorize,
    count_tickets,
    describe,
    draft_data,
    events_of,
    file_report,
    fsm_records,
    skip_place,
    stay_anonymous,
    ticket_by_code,
)
from tests.factories import rows_of
from tests.imagefactory import encode, photo
from ui.keyboards import SupporterSurveyAnswer, SurveyAnswer

OTHER_WORDS = "The same clerk at window 3 was on his phone again today"


async def supporters(app: SnapreportApp) -> list[Supporter]:
    return await rows_of(app.session_factory, Supporter)


async def offered_a_match(citizen: ChatUser, image: bytes) -> str:
    """Draft a report with `image` up to Confirm, and return the offer of a similar one."""
    await citizen.send_photo(image)
    await citizen.expect("Received: 1 photo")
    await describe(citizen, OTHER_WORDS)
    await categorize(citizen)
    await skip_place(citizen)
    await stay_anonymous(citizen)
    await citizen.press("Confirm")
    return (await citizen.expect("A similar report is already being handled")).content


async def test_a_recompressed_photo_offers_me_too_and_the_joiner_gets_reply_and_survey(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser, supervisor: ChatUser
) -> None:
    code = await file_report(citizen, seed=1)
    joiner = await client.chat_user(first_name="Li", language_code="en")
    await prefer_language(app, citizen, joiner, supervisor)
    # What Telegram does to a forwarded photo: smaller and recompressed.
    copy = encode(photo(seed=1).resize((600, 450)), "JPEG", quality=60)

    offer = await offered_a_match(joiner, copy)
    assert "Phone or private business at work" in offer and "New" in offer
    assert code not in offer and DESCRIPTION not in offer
    answer = await joiner.press("Me too")
    assert answer.text == "Thank you."
    joined = await joiner.expect("you joined the report already being handled")
    assert code not in joined.content
    assert await count_tickets(app) == 1
    assert await fsm_records(app, joiner.id) == []  # the draft ended
    ticket = await ticket_by_code(app, code)
    assert ticket.id is not None
    assert [s.ticket_id for s in await supporters(app)] == [ticket.id]
    assert (await events_of(app, ticket.id))[-1].kind == "supporter_joined"

    await staff_action(app, ticket.id, action="accept")
    await staff_action(app, ticket.id, action="resolve", text="The clerk was warned.")
    await deliver(app)
    await supervisor.expect("👥 Supporters: 1")
    reply = await joiner.expect(
        "The case you joined (Phone or private business at work) has been resolved"
    )
    assert "The clerk was warned." in reply.content and code not in reply.content
    await joiner.expect("Please rate it")
    await citizen.expect("Please rate it")

    assert (await joiner.press("Satisfied")).text == "Thank you!"
    await joiner.expect("Your answer: 😊 Satisfied")
    assert [s.satisfaction for s in await supporters(app)] == ["satisfied"]
    # Only the original reporter's answer moves the ticket.
    assert (await ticket_by_code(app, code)).state == "resolved"
    again = await press_data(
        joiner, SupporterSurveyAnswer(ticket_id=ticket.id, rating="unsatisfied")
    )
    assert again.show_alert and again.text == "This survey has already been answered."
    assert (await ticket_by_code(app, code)).state == "resolved"
    # A stranger cannot answer as a supporter; the original reporter's survey is theirs.
    stranger = await client.chat_user(first_name="Mallory", language_code="en")
    await stranger.start()
    await stranger.expect("snap-a-photo")
    refused = await press_data(
        stranger, SupporterSurveyAnswer(ticket_id=ticket.id, rating="unsatisfied")
    )
    assert refused.show_alert and refused.text == "You are not allowed to do this."
    await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="satisfied"))
    assert (await ticket_by_code(app, code)).state == "closed"


async def test_joining_a_closed_case_or_from_another_draft_is_refused(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser
) -> None:
    code = await file_report(citizen, seed=1)
    joiner = await client.chat_user(first_name="Li", language_code="en")
    await offered_a_match(joiner, encode(photo(seed=1), "JPEG", quality=70))
    ticket = await ticket_by_code(app, code)
    assert ticket.id is not None
    draft = (await draft_data(app, joiner.id))["draft_id"]

    forged = await press_data(joiner, Nav(draft="x" + draft, action="join", value=str(ticket.id)))
    assert forged.show_alert and forged.text == "This draft is no longer active."

    await staff_action(app, ticket.id, action="reject", text="Not a matter for this office.")
    refused = await joiner.press("Me too")
    assert refused.show_alert and "This case cannot be joined" in (refused.text or "")
    assert await supporters(app) == []
    assert (await draft_data(app, joiner.id))["draft_id"] == draft  # the draft is kept

    # Their own ticket is never offered: the reporter files a second one unasked.
    assert await count_tickets(app) == 1
    await joiner.press("No, file mine")
    await joiner.expect("Tracking code")
    assert await count_tickets(app) == 2
