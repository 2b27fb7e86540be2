"""A supervisor moves tickets with the card's buttons; illegal, stale and forged presses are
refused with an alert and logged as security events."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.identity import lookup_hash
from storage.models import OutboxMessage
from tests.conftest import make_department
from tests.conversations.staff import (
    add_member,
    begin_resolving,
    dump,
    intake_id,
    new_ticket,
    open_card,
    outbox,
    press_data,
    security_events,
    staff_action,
    staff_member,
    staff_user,
    ticket_row,
)
from tests.conversations.steps import events_of as events
from tests.imagefactory import jpeg_bytes
from ui.keyboards import TicketAction


async def test_accept_by_button_updates_the_ticket_and_its_card(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    answer = await supervisor.press_on(await open_card(supervisor, ticket.code), "Accept")
    assert answer.text == "✅ Accepted." and not answer.show_alert
    card = await supervisor.expect("✅ Accepted — Sup")
    assert [b.text for b in card.inline_buttons] == [
        "👤 Assign",
        "❓ Ask reporter",
        "↩️ Reject",
        "🔁 Duplicate of…",
        "🔗 Merge into…",
        "🏁 Resolve",
    ]
    row = await ticket_row(app, ticket.id)
    assert row.state == "accepted" and row.accepted_at is not None
    [_submitted, accepted] = await events(app, ticket.id)
    assert (accepted.kind, accepted.from_state, accepted.to_state) == ("accept", "new", "accepted")
    assert accepted.actor_id == supervisor.id
    reporter_rows = [r for r in await outbox(app, ticket_id=ticket.id) if r.chat_id == citizen.id]
    assert [r.purpose for r in reporter_rows] == ["reporter:accepted"]


async def test_assign_offers_the_department_members_and_hands_over(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    handler = await staff_user(client, "Han")
    handler_member = await add_member(app, handler, await intake_id(app), "handler")
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    await supervisor.press_on(await open_card(supervisor, ticket.code), "Assign")
    picker = await supervisor.expect(ticket.code)  # the card, its buttons now the members
    assert "👤 Han · handler" in [b.text for b in picker.inline_buttons]
    answer = await supervisor.press("Han · handler")
    assert answer.text == f"👤 {ticket.code} is assigned to Han."
    await supervisor.expect("Handler: Han")
    row = await ticket_row(app, ticket.id)
    assert (row.state, row.handler_member_id) == ("in_progress", handler_member)
    to_handler = [r for r in await outbox(app, ticket_id=ticket.id) if r.chat_id == handler.id]
    assert ticket.code in dump(to_handler[0].payload)  # "assigned to you", in their language
    assert to_handler[1].purpose == "card"


async def test_handler_may_resolve_but_not_reject(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    handler = await staff_member(app, client, "Han", await intake_id(app), "handler")
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    answer = await handler.press_on(await open_card(handler, ticket.code), "Reject")
    assert answer.show_alert and answer.text == "Only a supervisor of the department can do this."
    await begin_resolving(handler)


async def test_ask_reject_and_their_texts(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await supervisor.press_on(await open_card(supervisor, ticket.code), "Ask reporter")
    await supervisor.expect("Type your question for the reporter")
    await supervisor.send_photo(jpeg_bytes(seed=3))
    await supervisor.expect("Please type it as text")
    await supervisor.send("At what time did you see this?")
    await supervisor.expect("was passed on to the reporter")
    await supervisor.expect("❓ Question to the reporter — Sup")  # the card, redrawn
    [question] = [r for r in await outbox(app, ticket_id=ticket.id) if r.chat_id == citizen.id]
    assert question.purpose == "reporter:question"
    assert "At what time" in question.payload["text"]
    assert "rr:" in dump(question.payload["reply_markup"])  # the reporter's Reply button

    await supervisor.press("Reject")
    await supervisor.expect("Why is")
    await supervisor.send("x" * 2001)
    await supervisor.expect("at most 2000 characters")
    await supervisor.send("Not about a public official")
    await supervisor.expect("is rejected")
    row = await ticket_row(app, ticket.id)
    assert (row.state, row.reject_reason) == ("rejected", "Not about a public official")
    await citizen.command("status", ticket.code)
    await citizen.expect("Reason: Not about a public official")


async def test_resolve_with_reply_and_result_photos(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    await open_card(supervisor, ticket.code)
    await begin_resolving(supervisor)
    await supervisor.send("The clerk was warned and the window is staffed again.")
    await supervisor.expect("Reply noted")
    await supervisor.send_photo(jpeg_bytes(seed=5))
    await supervisor.expect("Photo 1 added")
    await supervisor.send_photo(jpeg_bytes(seed=6))
    await supervisor.expect("Photo 2 added")
    answer = await supervisor.press("Send reply")
    assert answer.text == "🏁 Resolved."
    await supervisor.expect("is resolved; the reply was sent")
    row = await ticket_row(app, ticket.id)
    assert row.state == "resolved" and row.public_reply is not None
    purposes = [
        r.purpose for r in await outbox(app, ticket_id=ticket.id) if r.chat_id == citizen.id
    ]
    assert purposes[-2:] == ["reporter:resolved", "reporter:result_photos"]
    assert [e.kind for e in await events(app, ticket.id)][-2:] == ["resolve", "result_photos"]
    await citizen.command("status", ticket.code)
    await citizen.expect("The clerk was warned")


async def test_duplicate_links_to_the_original(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    other = await client.chat_user(first_name="Mei", language_code="en")
    original = await new_ticket(app, citizen)
    copy = await new_ticket(app, other)
    await supervisor.press_on(await open_card(supervisor, copy.code), "Duplicate")
    await supervisor.expect("duplicates which report")
    await supervisor.send(copy.code)
    await supervisor.expect("no other report")
    await supervisor.send(original.code[:-2])  # typed without its check character
    await supervisor.expect("incomplete: one check character is missing")
    await supervisor.send(original.code.lower())
    await supervisor.expect(f"is linked to {original.code}")
    row = await ticket_row(app, copy.id)
    assert (row.state, row.duplicate_of_id) == ("duplicate", original.id)
    await open_card(supervisor, original.code)
    card = await supervisor.last()
    assert card is not None and f"Linked duplicates: {copy.code}" in card.content
    # The original's news reaches the duplicate's reporter too.
    await staff_action(app, original.id, action="accept")
    linked = [r for r in await outbox(app) if r.chat_id == other.id]
    assert [r.purpose for r in linked] == ["reporter:duplicate", "reporter:linked_accepted"]
    assert original.code in linked[1].payload["text"]


async def test_illegal_and_stale_presses_are_refused_and_logged(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await open_card(supervisor, ticket.code)
    forged = TicketAction(ticket_id=ticket.id, action="resolve", state="new")
    answer = await press_data(supervisor, forged)
    assert answer.show_alert and "cannot do that now" in (answer.text or "")
    closing = TicketAction(ticket_id=ticket.id, action="close", state="resolved")
    answer = await press_data(supervisor, closing)
    assert answer.show_alert and answer.text == "This action is not available to staff."

    await supervisor.press("Accept")
    await supervisor.expect("Accepted —")
    stale = TicketAction(ticket_id=ticket.id, action="accept", state="new")
    answer = await press_data(supervisor, stale)
    assert answer.show_alert and "out of date" in (answer.text or "")
    assert (await ticket_row(app, ticket.id)).state == "accepted"
    kinds = [e.kind for e in await security_events(app)]
    assert kinds == ["illegal_transition", "not_staff_action", "stale_card"]


async def test_forged_press_by_a_citizen_is_refused_and_logged(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await citizen.command("status", ticket.code)
    await citizen.expect("Status: New")
    answer = await press_data(
        citizen, TicketAction(ticket_id=ticket.id, action="accept", state="new")
    )
    assert answer.show_alert and answer.text == "This is for department staff only."
    assert (await ticket_row(app, ticket.id)).state == "new"
    [event] = await security_events(app)
    assert event.kind == "not_staff" and f"t:{ticket.id}:accept:new" in event.detail
    assert str(citizen.id) not in event.actor_hash + event.detail


async def test_another_departments_supervisor_is_refused_and_logged(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser, client: EmulatorClient
) -> None:
    outsider = await staff_user(client, "Out")
    other_id = await make_department(app, "Other Bureau")
    await add_member(app, outsider, other_id)
    ticket = await new_ticket(app, citizen)
    await outsider.command("queue")
    await outsider.expect("No open tickets")
    answer = await press_data(
        outsider, TicketAction(ticket_id=ticket.id, action="accept", state="new")
    )
    assert answer.show_alert and answer.text == "This ticket belongs to another department."
    await outsider.command("ticket", ticket.code)
    await outsider.expect("belongs to another department")
    assert (await ticket_row(app, ticket.id)).state == "new"
    assert [e.kind for e in await security_events(app)] == [
        "not_your_department",
        "not_your_department",
    ]
    async with app.session_factory() as session:
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(
                    col(OutboxMessage.chat_hash) == lookup_hash(session, outsider.id)
                )
            )
        )
    assert alerts == []
