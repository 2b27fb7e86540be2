"""What due follow-ups do (`run_follow_up`, `auto_close`): remind, card, escalate, survey."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import report_draft, ticket_view
from tests.fakes import Fakes
from tickets.reports import submit_report
from tickets.states import TicketState
from tickets.sweep import Outcome, run_follow_up
from tickets.views import TicketView
from tickets.workflow import auto_close


def in_state(fakes: Fakes, state: TicketState, **fields: object) -> TicketView:
    return fakes.tickets.seed(ticket_view(state=state, **fields))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("remind_accept_50", ("remind_accept", "50")),
        ("remind_accept_80", ("remind_accept", "80")),
        ("remind_resolve_50", ("remind_resolve", "50")),
        ("remind_resolve_80", ("remind_resolve", "80")),
    ],
)
async def test_reminder_tells_the_department_how_far_along_it_is(
    fakes: Fakes, kind: str, expected: tuple[str, str]
) -> None:
    ticket = in_state(fakes, TicketState.NEW)

    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind=kind) is Outcome.ACTED

    [sent] = fakes.notifier.sent
    assert (sent.to, sent.kind, sent.text) == ("department", *expected)
    assert fakes.tickets.events == []


async def test_accept_reminder_is_moot_once_accepted(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.ACCEPTED)

    assert (
        await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="remind_accept_80") is Outcome.MOOT
    )

    assert fakes.notifier.sent == []


async def test_yellow_card_marks_the_ticket_and_warns_the_department(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.NEW)

    assert (
        await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="yellow_accept") is Outcome.ACTED
    )

    assert fakes.tickets.tickets[ticket.id].card == "yellow"
    event = fakes.tickets.events[-1]
    assert (event.kind, event.actor_kind, event.payload) == (
        "yellow_card",
        "system",
        {"phase": "accept"},
    )
    assert fakes.notifier.to("department") == ["yellow_card"]
    assert fakes.notifier.to("admins") == [] and fakes.notifier.to("reporter") == []


async def test_red_card_escalates_to_administrators_and_tells_the_reporter(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.IN_PROGRESS, card="yellow")

    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="red_resolve") is Outcome.ACTED

    assert fakes.tickets.tickets[ticket.id].card == "red"
    assert fakes.tickets.event_kinds(ticket.id) == ["red_card"]
    assert fakes.notifier.to("changed") == ["red_card"]
    assert fakes.notifier.to("department") == ["red_card"]
    assert fakes.notifier.to("admins") == ["red_card"]
    assert fakes.notifier.to("reporter") == ["overdue"]


async def test_a_yellow_card_never_replaces_a_red_one(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.IN_PROGRESS, card="red")

    assert (
        await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="yellow_resolve") is Outcome.MOOT
    )

    assert fakes.tickets.tickets[ticket.id].card == "red"
    assert fakes.notifier.sent == []


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (TicketState.ACCEPTED, "yellow_accept"),
        (TicketState.IN_PROGRESS, "red_accept"),
        (TicketState.RESOLVED, "yellow_resolve"),
        (TicketState.REJECTED, "red_resolve"),
        (TicketState.CLOSED, "remind_resolve_50"),
    ],
)
async def test_cards_and_reminders_are_moot_once_the_phase_is_over(
    fakes: Fakes, state: TicketState, kind: str
) -> None:
    ticket = in_state(fakes, state)

    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind=kind) is Outcome.MOOT

    assert fakes.tickets.tickets[ticket.id] == ticket
    assert fakes.notifier.sent == [] and fakes.tickets.events == []


async def test_survey_asks_the_reporter_of_a_resolved_ticket(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.RESOLVED)

    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="survey") is Outcome.ACTED

    assert fakes.notifier.to("reporter") == ["survey"]


async def test_survey_is_moot_once_the_reporter_answered(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.CLOSED)

    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="survey") is Outcome.MOOT

    assert fakes.notifier.sent == []


async def test_unanswered_survey_auto_closes_as_default_satisfied(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.RESOLVED)
    fakes.clock.advance(timedelta(days=7))

    assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="auto_close") is Outcome.ACTED

    closed = fakes.tickets.tickets[ticket.id]
    assert (closed.state, closed.satisfaction) == ("closed", "satisfied")
    assert closed.closed_at == fakes.clock.now()
    assert fakes.tickets.extras[ticket.id]["satisfaction_default"] is True
    event = fakes.tickets.events[-1]
    assert (event.kind, event.actor_kind, event.to_state) == ("auto_closed", "system", "closed")
    assert fakes.notifier.to("reporter") == ["closed"]


async def test_auto_close_leaves_an_answered_or_reopened_ticket_alone(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.REOPENED, satisfaction="unsatisfied")

    assert await auto_close(fakes.ws, ticket_id=ticket.id) is None

    assert fakes.tickets.tickets[ticket.id] == ticket
    assert fakes.notifier.sent == [] and fakes.tickets.events == []


async def test_an_unknown_follow_up_kind_fails_loudly(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.NEW)

    with pytest.raises(ValueError, match="no_such_kind"):
        await run_follow_up(fakes.ws, ticket_id=ticket.id, kind="no_such_kind")


async def test_an_ignored_ticket_gets_reminders_then_yellow_then_red(fakes: Fakes) -> None:
    ticket = (await submit_report(fakes.ws, report_draft(), per_hour=5)).ticket
    due = sorted(
        (at, kind) for kind, at in fakes.followups.pending(ticket.id).items() if "accept" in kind
    )

    for at, kind in due:
        fakes.clock.set(at)
        assert await run_follow_up(fakes.ws, ticket_id=ticket.id, kind=kind) is Outcome.ACTED

    assert fakes.notifier.to("department") == [
        "remind_accept",
        "remind_accept",
        "yellow_card",
        "red_card",
    ]
    assert fakes.tickets.tickets[ticket.id].card == "red"
    assert fakes.notifier.to("admins") == ["red_card"]
