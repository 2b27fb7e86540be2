"""A resolution's finding: what `tickets.findings.outcome` accepts and refuses, and what
resolving stores on the ticket and in its event (with in-memory fakes)."""

from __future__ import annotations

import pytest

from tests.factories import staff, ticket_view
from tests.fakes import Fakes
from tickets.actors import Role
from tickets.errors import ValidationError
from tickets.findings import Finding, Outcome, Sanction, outcome, parse_people
from tickets.states import Action, TicketState
from tickets.views import TicketView
from tickets.workflow import StaffCommand, perform

SUPERVISOR = staff(1, Role.SUPERVISOR)


def accepted(fakes: Fakes) -> TicketView:
    return fakes.tickets.seed(ticket_view(id=7, code="SR-SEED-0007-0", state=TicketState.ACCEPTED))


def refusal(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(ValidationError) as raised:
        call(*args)
    return raised.value.code


def test_a_substantiated_finding_takes_its_actions_in_order_and_counts_people() -> None:
    found = outcome("substantiated", ["discipline", "rectify", "rectify"], "2")
    assert found == Outcome(Finding.SUBSTANTIATED, (Sanction.RECTIFY, Sanction.DISCIPLINE), 2)
    assert outcome("partly", ["educate"], 1).people == 1


@pytest.mark.parametrize("finding", ["substantiated", "partly"])
def test_a_substantiated_finding_without_an_action_is_refused(finding: str) -> None:
    assert refusal(outcome, finding, [], 2) == "finding_needs_action"


def test_findings_that_did_not_hold_take_no_action_and_no_people() -> None:
    assert outcome("unsubstantiated") == Outcome(Finding.UNSUBSTANTIATED)
    assert outcome("unverifiable").sanctions == ()
    assert refusal(outcome, "unsubstantiated", ["rectify"]) == "finding_no_action"
    assert refusal(outcome, "unverifiable", [], 3) == "finding_no_action"


@pytest.mark.parametrize("people", [None, "", "0", "-1", "1000", "two", "1.5", 0])
def test_people_concerned_are_a_whole_number_from_one(people: str | int | None) -> None:
    assert refusal(outcome, "substantiated", ["rectify"], people) == "people_count"


def test_unknown_finding_and_sanction_slugs_are_refused() -> None:
    assert refusal(outcome, "guilty") == "finding_unknown"
    assert refusal(outcome, "substantiated", ["flogging"], 1) == "sanction_unknown"
    assert parse_people(" 12 ") == 12


async def test_resolving_without_a_finding_is_refused_and_stores_nothing(fakes: Fakes) -> None:
    ticket = accepted(fakes)

    with pytest.raises(ValidationError) as raised:
        await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.RESOLVE, text="Done"))

    assert raised.value.code == "finding_required"
    assert fakes.tickets.tickets[ticket.id] == ticket
    assert fakes.tickets.events == [] and fakes.notifier.sent == []
    assert fakes.followups.rows == []


async def test_resolving_stores_the_finding_on_the_ticket_and_in_the_event(
    fakes: Fakes,
) -> None:
    ticket = accepted(fakes)
    found = outcome("substantiated", ["rectify"], 2)

    resolved = await perform(
        fakes.ws,
        SUPERVISOR,
        StaffCommand(ticket.id, Action.RESOLVE, text="The clerk was warned", outcome=found),
    )

    assert (resolved.state, resolved.finding) == ("resolved", "substantiated")
    assert (resolved.finding_actions, resolved.people_concerned) == (("rectify",), 2)
    [event] = fakes.tickets.events
    assert event.kind == "resolve"
    assert event.payload == {"finding": "substantiated", "actions": ["rectify"], "people": 2}
    assert fakes.notifier.to("reporter") == ["resolved"]


async def test_a_new_resolution_replaces_the_old_finding(fakes: Fakes) -> None:
    ticket = fakes.tickets.seed(
        ticket_view(
            id=8,
            code="SR-SEED-0008-0",
            state=TicketState.REOPENED,
            finding="substantiated",
            finding_actions=("educate",),
            people_concerned=3,
        )
    )

    again = outcome("partly", ["censure"], 1)
    command = StaffCommand(ticket.id, Action.RESOLVE, text="Checked again", outcome=again)

    resolved = await perform(fakes.ws, SUPERVISOR, command)

    assert (resolved.finding, resolved.finding_actions, resolved.people_concerned) == (
        "partly",
        ("censure",),
        1,
    )
