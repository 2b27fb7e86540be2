"""The satisfaction survey: satisfied closes, unsatisfied reopens at once and takes an
optional comment for the department; only the reporter may answer, and only once."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    new_ticket,
    outbox,
    press_data,
    security_events,
    staff_action,
    ticket_row,
)
from tests.conversations.steps import events_of
from tickets.views import TicketView
from ui.keyboards import SurveyAnswer


async def resolved_ticket(app: SnapreportApp, citizen: ChatUser) -> TicketView:
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    await staff_action(app, ticket.id, action="resolve", text="The clerk was warned.")
    # The survey message itself comes from the follow-up sweep; its buttons carry this data.
    await citizen.command("status", ticket.code)
    await citizen.expect("Status: Resolved")
    return ticket


async def test_satisfied_closes_the_ticket(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser
) -> None:
    ticket = await resolved_ticket(app, citizen)
    answer = await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="satisfied"))
    assert answer.text == "Thank you!"
    await citizen.expect("Your answer on")
    row = await ticket_row(app, ticket.id)
    assert (row.state, row.satisfaction, row.satisfaction_default) == (
        "closed",
        "satisfied",
        False,
    )
    again = await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="unsatisfied"))
    assert again.show_alert and again.text == "This survey has already been answered."
    assert (await ticket_row(app, ticket.id)).state == "closed"
    assert [e.kind for e in await security_events(app)] == ["survey_answered"]


async def test_unsatisfied_with_comment_reopens_the_ticket(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser
) -> None:
    ticket = await resolved_ticket(app, citizen)
    answer = await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="unsatisfied"))
    assert answer.text == "Sorry to hear that. The ticket is reopened."
    await citizen.expect("What was not right?")
    assert (await ticket_row(app, ticket.id)).state == "reopened"
    await citizen.send("He was on his phone again the next day")
    await citizen.expect("your comment was passed on")
    row = await ticket_row(app, ticket.id)
    assert (row.satisfaction, row.survey_comment) == (
        "unsatisfied",
        "He was on his phone again the next day",
    )
    kinds = [e.kind for e in await events_of(app, ticket.id)]
    assert kinds[-2:] == ["reopened", "survey_comment"]
    to_department = [
        r.purpose or r.payload.get("text", "")
        for r in await outbox(app, ticket_id=ticket.id)
        if r.chat_id == supervisor.id
    ]
    assert any("He was on his phone again" in text for text in to_department)


async def test_unsatisfied_without_comment_and_a_strangers_press(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    ticket = await resolved_ticket(app, citizen)
    stranger = await client.chat_user(first_name="Mallory", language_code="en")
    await stranger.start()
    await stranger.expect("snap-a-photo")
    answer = await press_data(stranger, SurveyAnswer(ticket_id=ticket.id, rating="satisfied"))
    assert answer.show_alert and answer.text == "You are not allowed to do this."
    assert (await ticket_row(app, ticket.id)).state == "resolved"

    await press_data(citizen, SurveyAnswer(ticket_id=ticket.id, rating="unsatisfied"))
    await citizen.expect("What was not right?")
    assert (await citizen.press("Skip")).text == "OK."
    row = await ticket_row(app, ticket.id)
    assert (row.state, row.survey_comment) == ("reopened", None)
    assert [e.kind for e in await security_events(app)] == ["forbidden"]
