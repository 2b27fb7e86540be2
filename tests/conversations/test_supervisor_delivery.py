"""The whole loop through the outbox: the alert reaches the department, its card follows the
ticket, the anonymous relay works both ways, the reply and the survey reach the reporter,
and the reporter of a duplicate follows the original case."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    add_member,
    ask_reporter,
    deliver,
    dump,
    filed_and_alerted,
    leaks,
    make_department_with_rule,
    new_ticket,
    prefer_language,
    press_card_button,
    resolve_with_reply,
    security_events,
    staff_action,
    staff_user,
    ticket_row,
)
from tests.conversations.steps import file_report, ticket_by_code
from tests.imagefactory import jpeg_bytes


async def test_alert_reaches_the_supervisor_and_the_card_follows_the_ticket(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, supervisor, citizen)
    code = await file_report(citizen)
    await deliver(app)
    evidence = await supervisor.expect(f"Evidence for {code}")
    assert evidence.photo
    card = await supervisor.expect("Reporter: anonymous")
    assert code in card.content and "Accept by:" in card.content
    answer = await supervisor.press("Accept")
    assert answer.text == "✅ Accepted."
    await deliver(app)
    edited = await supervisor.expect("✅ Accepted — Sup")
    assert edited.message_id == card.message_id  # the same card, edited in place
    await citizen.expect(f"Your report {code} has been accepted")


async def test_anonymous_relay_both_ways_shows_staff_nothing_of_the_reporter(
    app: SnapreportApp, supervisor: ChatUser, client: EmulatorClient
) -> None:
    citizen = await client.chat_user(
        first_name="Wei", last_name="Zhang", username="wei_zhang_88", language_code="en"
    )
    code = await filed_and_alerted(app, supervisor, citizen)
    await ask_reporter(supervisor, "Which window was it, and at what time?")
    await deliver(app)

    question = await citizen.expect("Which window was it")
    await citizen.press("Reply")
    await citizen.expect("Send your answer")
    await citizen.send("Window 3, around ten in the morning")
    await citizen.expect("was passed on")
    await deliver(app)
    answer = await supervisor.expect(f"The reporter answered on {code}")
    assert "Window 3, around ten" in answer.content

    # Replying to the question message itself works too, with a photo.
    await citizen.send_photo(jpeg_bytes(seed=9), "His desk", reply_to=question.message_id)
    await citizen.expect("was passed on")
    await deliver(app)
    photo = await supervisor.expect("His desk")
    assert photo.photo and photo.message.get("forward_origin") is None

    transcript = [dump(message.model_dump()) for message in await supervisor.messages()]
    assert leaks(transcript, citizen) == []


async def test_resolution_reaches_the_reporter_then_the_survey_reopens_it(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    code = await filed_and_alerted(app, supervisor, citizen)
    await supervisor.press("Accept")
    await deliver(app)
    await supervisor.expect("Accepted — Sup")
    await resolve_with_reply(
        supervisor,
        "The clerk was warned; the window is staffed again.",
        photos=[jpeg_bytes(seed=11)],
    )
    await deliver(app)

    reply = await citizen.expect(f"Your report {code} has been resolved")
    assert "The clerk was warned" in reply.content
    photo = await citizen.expect(f"Photos of the result for {code}")
    assert photo.photo
    await citizen.expect("Please rate it")
    await citizen.press("Unsatisfied")
    await citizen.expect("What was not right?")
    await citizen.send("He was on his phone again the next day")
    await citizen.expect("your comment was passed on")
    await deliver(app)
    await supervisor.expect(f"{code} is reopened")
    await supervisor.expect("He was on his phone again")
    assert (await ticket_by_code(app, code)).state == "reopened"


async def test_reporter_of_a_duplicate_follows_the_original(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    other = await client.chat_user(first_name="Mei", language_code="en")
    await prefer_language(app, citizen, other)
    original = await new_ticket(app, citizen)
    copy = await new_ticket(app, other)
    await staff_action(app, copy.id, action="mark_duplicate", duplicate_of_code=original.code)
    await staff_action(app, original.id, action="accept")
    await staff_action(app, original.id, action="resolve", text="Both clerks were warned.")
    await deliver(app)
    await other.expect(f"Your report {copy.code} concerns a case already being handled")
    update = await other.expect(f"Update on {original.code}")
    assert copy.code in update.content and "has accepted the case" in update.content
    resolved = await other.expect(f"Update on {original.code}")
    assert "Both clerks were warned." in resolved.content
    await citizen.expect(f"Your report {original.code} has been resolved")


async def test_a_bound_group_gets_the_alert_and_its_members_act_there(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    member = await staff_user(client, "Fang")
    outsider = await staff_user(client, "Nosy")
    department_id = await make_department_with_rule(app, "Vehicle Office", category="car")
    await add_member(app, member, department_id)
    group = await client.create_group("Vehicle office", [admin.id, member.id, outsider.id])
    admin_in_group = await admin.in_chat(group.id)
    await admin_in_group.command("bind", str(department_id))
    await admin_in_group.expect("Vehicle Office")
    await prefer_language(app, citizen)
    in_group = await member.in_chat(group.id)
    nosy = await outsider.in_chat(group.id)
    ticket = await new_ticket(app, citizen, category="car")
    await deliver(app)

    card = await in_group.expect(ticket.code)  # in the default language of the deployment
    refused = await press_card_button(nosy, ticket.id, "accept")
    assert refused.show_alert and [e.kind for e in await security_events(app)] == ["not_staff"]
    accepted = await press_card_button(in_group, ticket.id, "accept")
    assert not accepted.show_alert
    await deliver(app)
    edited = await in_group.expect("Fang")
    assert edited.message_id == card.message_id
    assert (await ticket_row(app, ticket.id)).state == "accepted"
    await citizen.expect(f"Your report {ticket.code} has been accepted by Vehicle Office")
