"""The reporter's survey (`rate`): 满意 and 基本满意 close the ticket, 不满意 reopens it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import REPORTER_USER_ID, UNVERIFIED, staff, ticket_view
from tests.fakes import Fakes
from tickets.errors import Conflict, Forbidden, ValidationError
from tickets.followups import Phase, kinds_of
from tickets.states import Action, TicketState
from tickets.views import TicketView
from tickets.workflow import StaffCommand, perform, rate

RESOLVE_KINDS = {str(k) for k in kinds_of([Phase.RESOLVE])}


async def rate_as_reporter(
    fakes: Fakes, ticket: TicketView, rating: str, comment: str | None = None
) -> TicketView:
    """The reporter answers the survey of `ticket`."""
    return await rate(
        fakes.ws,
        ticket_id=ticket.id,
        reporter_user_id=REPORTER_USER_ID,
        rating=rating,
        comment=comment,
    )


async def resolved(fakes: Fakes) -> TicketView:
    """A ticket resolved now, its survey and auto-close planned."""
    ticket = fakes.tickets.seed(ticket_view(state=TicketState.IN_PROGRESS))
    return await perform(
        fakes.ws, staff(), StaffCommand(ticket.id, Action.RESOLVE, text="Done", outcome=UNVERIFIED)
    )


@pytest.mark.parametrize("rating", ["satisfied", "fair"])
async def test_satisfied_or_fair_rating_closes_the_ticket(fakes: Fakes, rating: str) -> None:
    ticket = await resolved(fakes)
    fakes.clock.advance(timedelta(hours=3))

    closed = await rate_as_reporter(fakes, ticket, rating)

    assert (closed.state, closed.satisfaction) == ("closed", rating)
    assert closed.closed_at == fakes.clock.now()
    assert fakes.followups.pending(ticket.id) == {}
    event = fakes.tickets.events[-1]
    assert (event.kind, event.actor_kind, event.to_state) == ("rated", "reporter", "closed")
    assert fakes.notifier.to("department") == [] and fakes.notifier.to("admins") == []


async def test_unsatisfied_rating_reopens_ticket(fakes: Fakes) -> None:
    ticket = await resolved(fakes)
    fakes.clock.advance(timedelta(hours=3))

    reopened = await rate_as_reporter(fakes, ticket, "unsatisfied", "Still nobody there")

    assert (reopened.state, reopened.satisfaction) == ("reopened", "unsatisfied")
    assert reopened.closed_at is None
    assert fakes.tickets.extras[ticket.id]["survey_comment"] == "Still nobody there"
    event = fakes.tickets.events[-1]
    assert (event.kind, event.from_state, event.to_state) == ("reopened", "resolved", "reopened")
    assert fakes.notifier.to("department") == ["reopened"]
    assert fakes.notifier.to("admins") == ["reopened"]
    # The survey button answers the reporter: only the earlier "resolved" notice went out.
    assert fakes.notifier.to("reporter") == ["resolved"]


async def test_reopening_gives_a_fresh_resolve_deadline_and_its_follow_ups(fakes: Fakes) -> None:
    ticket = await resolved(fakes)  # Monday 23 Nov, 09:00 Shanghai

    reopened = await rate_as_reporter(fakes, ticket, "unsatisfied")

    fresh = datetime(2026, 11, 30, 10, tzinfo=UTC)  # five working days on, 18:00 local
    assert reopened.resolve_by == fresh
    pending = fakes.followups.pending(ticket.id)
    assert set(pending) == RESOLVE_KINDS
    assert pending["yellow_resolve"] == fresh


async def test_a_reopened_ticket_can_be_resolved_again(fakes: Fakes) -> None:
    ticket = await resolved(fakes)
    await rate_as_reporter(fakes, ticket, "unsatisfied")

    again = await perform(
        fakes.ws,
        staff(),
        StaffCommand(ticket.id, Action.RESOLVE, text="Fixed for real", outcome=UNVERIFIED),
    )

    assert (again.state, again.public_reply) == ("resolved", "Fixed for real")
    assert set(fakes.followups.pending(ticket.id)) == {"survey", "auto_close"}


async def test_only_the_reporter_may_rate(fakes: Fakes) -> None:
    ticket = await resolved(fakes)

    with pytest.raises(Forbidden):
        await rate(
            fakes.ws, ticket_id=ticket.id, reporter_user_id=1, rating="satisfied", comment=None
        )

    assert fakes.tickets.tickets[ticket.id].state == "resolved"


async def test_an_unknown_rating_is_refused(fakes: Fakes) -> None:
    ticket = await resolved(fakes)

    with pytest.raises(ValidationError) as raised:
        await rate_as_reporter(fakes, ticket, "great")

    assert raised.value.code == "rating"


async def test_a_survey_answers_only_once(fakes: Fakes) -> None:
    ticket = await resolved(fakes)
    await rate_as_reporter(fakes, ticket, "satisfied")

    with pytest.raises(Conflict) as raised:
        await rate_as_reporter(fakes, ticket, "unsatisfied")

    assert raised.value.code == "survey_answered"
    assert fakes.tickets.tickets[ticket.id].state == "closed"
