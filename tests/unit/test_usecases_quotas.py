"""Per-ticket hourly quotas on what a reporter sends in, and archived departments refused."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.factories import REPORTER_USER_ID, staff, ticket_view
from tests.fakes import Fakes
from tickets.actors import Role
from tickets.casework import answer_question, check_answerable
from tickets.errors import Conflict, RateLimited
from tickets.ports import Workspace
from tickets.quotas import Quotas
from tickets.states import Action, TicketState
from tickets.supplements import add_supplement
from tickets.workflow import StaffCommand, perform


def with_quotas(fakes: Fakes, relay: int = 10, supplements: int = 10) -> Workspace:
    return dataclasses.replace(fakes.ws, quotas=Quotas(relay, supplements))


async def answer(ws: Workspace, text: str = "Window 3") -> None:
    await answer_question(
        ws, ticket_id=1, reporter_user_id=REPORTER_USER_ID, text=text, photo_file_id=None
    )


async def supplement(ws: Workspace, text: str = "One more detail") -> None:
    await add_supplement(
        ws, ticket_id=1, reporter_user_id=REPORTER_USER_ID, text=text, photo_file_id=None
    )


async def test_the_answer_beyond_the_hourly_quota_is_refused_and_not_relayed(
    fakes: Fakes,
) -> None:
    fakes.tickets.seed(ticket_view(state=TicketState.ACCEPTED))
    ws = with_quotas(fakes, relay=3)
    first_at = fakes.clock.now()
    for _ in range(3):
        await answer(ws)
        fakes.clock.advance(timedelta(minutes=10))

    with pytest.raises(RateLimited) as raised:
        await answer(ws, "the fourth")

    assert raised.value.code == "relay_per_hour"
    assert raised.value.params["limit"] == 3
    assert raised.value.params["retry_at"] == first_at + timedelta(hours=1)
    assert fakes.tickets.event_kinds(1) == ["answer"] * 3
    assert fakes.notifier.to("department") == ["answer"] * 3
    with pytest.raises(RateLimited):  # the Reply button says so before anything is typed
        await check_answerable(ws, ticket_id=1, reporter_user_id=REPORTER_USER_ID)

    fakes.clock.advance(timedelta(minutes=30))  # the first answer left the window
    await answer(ws, "the fourth")
    assert fakes.notifier.to("department") == ["answer"] * 4


async def test_supplements_have_their_own_quota(fakes: Fakes) -> None:
    fakes.tickets.seed(ticket_view(state=TicketState.NEW))
    ws = with_quotas(fakes, relay=1, supplements=2)
    await answer(ws)
    await supplement(ws)
    await supplement(ws)

    with pytest.raises(RateLimited) as raised:
        await supplement(ws)

    assert raised.value.code == "supplements_per_hour"
    assert fakes.tickets.event_kinds(1) == ["answer", "supplement", "supplement"]


async def test_a_forged_route_to_an_archived_department_is_refused(fakes: Fakes) -> None:
    fakes.tickets.seed(ticket_view(state=TicketState.NEW))
    fakes.directory.archived.add(2)

    with pytest.raises(Conflict) as raised:
        await perform(
            fakes.ws,
            staff(1, Role.SUPERVISOR),
            StaffCommand(1, Action.ROUTE, target_department_id=2),
        )

    assert raised.value.code == "department_archived"
    assert fakes.tickets.tickets[1].department_id == 1
    assert fakes.tickets.events == [] and fakes.notifier.sent == []
