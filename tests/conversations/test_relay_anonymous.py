"""The anonymous two-way channel: a supervisor's question reaches the reporter, the answer
(text or photo) comes back, and nothing staff receive identifies the reporter."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    ask_reporter,
    deliver,
    dump,
    leaks,
    new_ticket,
    open_card,
    outbox,
    prefer_language,
    press_data,
    security_events,
)
from tests.conversations.steps import events_of
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock
from ui.keyboards import ReporterReply


async def reporter(client: EmulatorClient) -> ChatUser:
    return await client.chat_user(
        first_name="Wei", last_name="Zhang", username="wei_zhang_88", language_code="en"
    )


async def ask(supervisor: ChatUser, code: str, question: str) -> None:
    await open_card(supervisor, code)
    await ask_reporter(supervisor, question)


async def test_reporter_answers_with_text_and_photo_without_being_identified(
    app: SnapreportApp, supervisor: ChatUser, client: EmulatorClient
) -> None:
    citizen = await reporter(client)
    await citizen.start()
    await citizen.expect("snap-a-photo")
    ticket = await new_ticket(app, citizen)
    await ask(supervisor, ticket.code, "Which window was it, and when?")

    await press_data(citizen, ReporterReply(ticket_id=ticket.id))
    await citizen.expect("Send your answer on")
    await citizen.send_document(jpeg_bytes(seed=2), "window.jpg", "image/jpeg")
    await citizen.expect("as a photo, not as a file")
    await citizen.send("Window 3, around 10 in the morning")
    await citizen.expect("was passed on. You stay anonymous")
    await press_data(citizen, ReporterReply(ticket_id=ticket.id))
    await citizen.expect("Send your answer on")
    await citizen.send_photo(jpeg_bytes(seed=4), caption="The clerk's desk")
    await citizen.expect("was passed on")

    answers = [e for e in await events_of(app, ticket.id) if e.kind == "answer"]
    assert [e.text for e in answers] == ["Window 3, around 10 in the morning", "The clerk's desk"]
    assert all(e.actor_id is None for e in answers)
    to_staff = [r for r in await outbox(app) if r.chat_id != citizen.id]
    relayed = [r for r in to_staff if r.chat_id == supervisor.id and r.ticket_id == ticket.id]
    assert any("Window 3" in dump(r.payload) for r in relayed)
    assert any(r.method == "sendPhoto" and "photo" in r.payload for r in relayed)
    assert leaks([dump(r.payload) for r in to_staff], citizen) == []
    transcript = [dump(m.model_dump()) for m in await supervisor.messages()]
    assert leaks(transcript, citizen) == []


async def test_only_the_reporter_may_answer(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    ticket = await new_ticket(app, citizen)
    await ask(supervisor, ticket.code, "Did you see his name badge?")
    stranger = await client.chat_user(first_name="Mallory", language_code="en")
    await stranger.start()
    await stranger.expect("snap-a-photo")
    answer = await press_data(stranger, ReporterReply(ticket_id=ticket.id))
    assert answer.show_alert and answer.text == "Only the reporter of this ticket can do this."
    assert [e.kind for e in await security_events(app)] == ["not_reporter"]
    assert [e for e in await events_of(app, ticket.id) if e.kind == "answer"] == []


async def test_the_eleventh_answer_within_an_hour_is_refused_and_not_relayed(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, clock: ManualClock
) -> None:
    await prefer_language(app, citizen)
    ticket = await new_ticket(app, citizen)
    await ask(supervisor, ticket.code, "Which window was it?")
    await deliver(app)
    question = await citizen.expect("Which window was it?")
    for n in range(10):
        await citizen.send(f"Detail {n}", reply_to=question.message_id)
        await citizen.expect("was passed on")

    await citizen.send("Detail 10", reply_to=question.message_id)

    again = (clock.now() + timedelta(hours=1)).astimezone(app.settings.tz)
    await citizen.expect(
        f"at most 10 answers per hour on {ticket.code}. You can write again at {again:%H:%M}."
    )
    answers = [e.text for e in await events_of(app, ticket.id) if e.kind == "answer"]
    assert answers == [f"Detail {n}" for n in range(10)]
    to_staff = [r for r in await outbox(app, ticket_id=ticket.id) if r.chat_id != citizen.id]
    assert not any("Detail 10" in dump(r.payload) for r in to_staff)
    assert await security_events(app) == []
