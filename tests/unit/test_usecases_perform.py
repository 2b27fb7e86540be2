"""Staff actions (`perform`, and `act` for supervisor-only ones) on in-memory ports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import UNVERIFIED, admin, report_draft, staff, ticket_view
from tests.fakes import Fakes
from tickets.actors import Role
from tickets.casework import act
from tickets.errors import Conflict, Forbidden, IllegalTransition, NotFound, ValidationError
from tickets.followups import FollowUpKind, Phase, kinds_of
from tickets.reports import submit_report
from tickets.states import TRANSITIONS, Action, TicketState
from tickets.views import TicketView
from tickets.workflow import StaffCommand, perform

SUPERVISOR = staff(1, Role.SUPERVISOR)
ACCEPT_KINDS = {str(k) for k in kinds_of([Phase.ACCEPT])}
RESOLVE_KINDS = {str(k) for k in kinds_of([Phase.RESOLVE])}
STAFF_ACTIONS = [
    Action.ACCEPT,
    Action.ROUTE,
    Action.ASSIGN,
    Action.START,
    Action.ASK,
    Action.REJECT,
    Action.MARK_DUPLICATE,
    Action.RESOLVE,
]


async def filed(fakes: Fakes) -> TicketView:
    return (await submit_report(fakes.ws, report_draft(), per_hour=100)).ticket


def in_state(fakes: Fakes, state: TicketState, **fields: object) -> TicketView:
    return fakes.tickets.seed(ticket_view(id=50, code="SR-SEED-0050-0", state=state, **fields))


async def test_accepting_records_time_event_and_tells_the_reporter(fakes: Fakes) -> None:
    ticket = await filed(fakes)
    fakes.clock.advance(timedelta(hours=2))

    accepted = await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ACCEPT))

    assert accepted.state == "accepted"
    assert accepted.accepted_at == fakes.clock.now()
    event = fakes.tickets.events[-1]
    assert (event.kind, event.from_state, event.to_state) == ("accept", "new", "accepted")
    assert (event.actor_kind, event.actor_id) == ("member", SUPERVISOR.user_id)
    assert fakes.notifier.to("reporter") == ["accepted"]
    assert fakes.notifier.to("changed") == ["accept"]


async def test_accepting_cancels_accept_follow_ups_and_keeps_resolve_ones(fakes: Fakes) -> None:
    ticket = await filed(fakes)

    await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ACCEPT))

    assert set(fakes.followups.pending(ticket.id)) == RESOLVE_KINDS


async def test_rejecting_closes_with_reason_and_cancels_every_follow_up(fakes: Fakes) -> None:
    ticket = await filed(fakes)

    rejected = await perform(
        fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.REJECT, text="  Not our office  ")
    )

    assert rejected.state == "rejected"
    assert rejected.reject_reason == "Not our office"
    assert rejected.closed_at == fakes.clock.now()
    assert fakes.followups.pending(ticket.id) == {}
    assert fakes.notifier.sent[-1].to == "reporter"
    assert (fakes.notifier.sent[-1].kind, fakes.notifier.sent[-1].text) == (
        "rejected",
        "Not our office",
    )


async def test_asking_keeps_state_and_follow_ups_and_relays_the_question(fakes: Fakes) -> None:
    ticket = await filed(fakes)
    before = dict(fakes.followups.pending(ticket.id))

    asked = await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ASK, text="When?"))

    assert asked.state == "new"
    assert fakes.followups.pending(ticket.id) == before
    assert fakes.tickets.event_kinds(ticket.id)[-1] == "ask"
    assert fakes.notifier.sent[-1].to == "reporter"
    assert (fakes.notifier.sent[-1].kind, fakes.notifier.sent[-1].text) == ("question", "When?")


async def test_assigning_starts_work_with_the_handler(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.ACCEPTED)

    assigned = await perform(
        fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ASSIGN, handler_member_id=11)
    )

    assert (assigned.state, assigned.handler_member_id) == ("in_progress", 11)
    assert fakes.notifier.to("reporter") == []


async def test_resolving_saves_the_reply_and_starts_the_survey(fakes: Fakes) -> None:
    ticket = await filed(fakes)
    await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ACCEPT))
    await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.START))
    fakes.clock.advance(timedelta(days=1))

    resolved = await perform(
        fakes.ws,
        SUPERVISOR,
        StaffCommand(ticket.id, Action.RESOLVE, text="The clerk was warned", outcome=UNVERIFIED),
    )

    now = fakes.clock.now()
    assert resolved.state == "resolved"
    assert (resolved.public_reply, resolved.resolved_at) == ("The clerk was warned", now)
    assert fakes.followups.pending(ticket.id) == {
        FollowUpKind.SURVEY: now,
        FollowUpKind.AUTO_CLOSE: now + timedelta(days=7),
    }
    assert fakes.notifier.to("reporter") == ["accepted", "resolved"]


async def test_marking_duplicate_links_the_original_and_tells_its_code(fakes: Fakes) -> None:
    original = await filed(fakes)
    ticket = await filed(fakes)

    duplicate = await perform(
        fakes.ws,
        SUPERVISOR,
        StaffCommand(ticket.id, Action.MARK_DUPLICATE, duplicate_of_code=original.code),
    )

    assert (duplicate.state, duplicate.duplicate_of_id) == ("duplicate", original.id)
    assert duplicate.closed_at == fakes.clock.now()
    assert fakes.followups.pending(ticket.id) == {}
    assert fakes.notifier.sent[-1].text == original.code


async def test_a_ticket_cannot_duplicate_itself(fakes: Fakes) -> None:
    ticket = await filed(fakes)
    command = StaffCommand(ticket.id, Action.MARK_DUPLICATE, duplicate_of_code=ticket.code)

    with pytest.raises(ValidationError) as raised:
        await perform(fakes.ws, SUPERVISOR, command)

    assert raised.value.code == "duplicate_target"


async def test_routing_moves_the_ticket_and_alerts_the_new_department(fakes: Fakes) -> None:
    ticket = await filed(fakes)
    before = dict(fakes.followups.pending(ticket.id))

    routed = await perform(
        fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ROUTE, target_department_id=2)
    )

    assert (routed.state, routed.department_id) == ("new", 2)
    assert routed.department_name == "Transport Bureau"
    filed_alerts = [s for s in fakes.notifier.sent if s.to == "filed"]
    assert [s.department_id for s in filed_alerts] == [1, 2]
    assert fakes.followups.pending(ticket.id) == before
    assert fakes.notifier.to("reporter") == []


@pytest.mark.parametrize(("target", "code"), [(1, "route_target"), (None, "route_target")])
async def test_routing_needs_another_department(
    fakes: Fakes, target: int | None, code: str
) -> None:
    ticket = await filed(fakes)

    with pytest.raises(ValidationError) as raised:
        await perform(
            fakes.ws,
            SUPERVISOR,
            StaffCommand(ticket.id, Action.ROUTE, target_department_id=target),
        )

    assert raised.value.code == code


async def test_routing_to_an_unknown_department_is_refused(fakes: Fakes) -> None:
    ticket = await filed(fakes)

    with pytest.raises(NotFound) as raised:
        await perform(
            fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ROUTE, target_department_id=99)
        )

    assert raised.value.code == "department_not_found"


@pytest.mark.parametrize("action", [Action.REJECT, Action.ASK, Action.RESOLVE])
async def test_actions_that_need_words_refuse_empty_text(fakes: Fakes, action: Action) -> None:
    ticket = in_state(fakes, TicketState.ACCEPTED)

    with pytest.raises(ValidationError) as raised:
        await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, action, text="   "))

    assert raised.value.code == "text_required"
    assert fakes.tickets.tickets[ticket.id].state == "accepted"


async def test_text_over_the_limit_is_refused(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.ACCEPTED)

    with pytest.raises(ValidationError) as raised:
        await perform(fakes.ws, SUPERVISOR, StaffCommand(ticket.id, Action.ASK, text="x" * 2001))

    assert raised.value.code == "text_too_long"


@pytest.mark.parametrize("action", [Action.CLOSE, Action.REOPEN, Action.AUTO_CLOSE])
async def test_reporter_and_system_actions_are_not_staff_actions(
    fakes: Fakes, action: Action
) -> None:
    ticket = in_state(fakes, TicketState.RESOLVED)

    with pytest.raises(Forbidden) as raised:
        await perform(fakes.ws, admin(), StaffCommand(ticket.id, action))

    assert raised.value.code == "not_a_staff_action"
    assert fakes.tickets.events == []


async def test_a_member_of_another_department_may_not_act(fakes: Fakes) -> None:
    ticket = await filed(fakes)

    with pytest.raises(Forbidden) as raised:
        await perform(fakes.ws, staff(2), StaffCommand(ticket.id, Action.ACCEPT))

    assert raised.value.code == "not_your_department"
    assert fakes.tickets.tickets[ticket.id].state == "new"


async def test_an_administrator_acts_in_any_department(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.NEW, department_id=2)

    accepted = await perform(fakes.ws, admin(), StaffCommand(ticket.id, Action.ACCEPT))

    assert accepted.state == "accepted"


@pytest.mark.parametrize(
    "action", [Action.ACCEPT, Action.REJECT, Action.MARK_DUPLICATE, Action.ROUTE]
)
async def test_deciding_actions_are_for_supervisors_only(fakes: Fakes, action: Action) -> None:
    ticket = await filed(fakes)

    with pytest.raises(Forbidden) as raised:
        await act(fakes.ws, staff(1, Role.HANDLER), StaffCommand(ticket.id, action, text="why"))

    assert raised.value.code == "supervisor_only"


async def test_a_handler_may_resolve(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.IN_PROGRESS)

    resolved = await act(
        fakes.ws,
        staff(1, Role.HANDLER),
        StaffCommand(ticket.id, Action.RESOLVE, text="Done", outcome=UNVERIFIED),
    )

    assert resolved.state == "resolved"


async def test_a_stale_card_is_refused(fakes: Fakes) -> None:
    ticket = in_state(fakes, TicketState.ACCEPTED)
    command = StaffCommand(ticket.id, Action.ACCEPT, expected_state="new")

    with pytest.raises(Conflict) as raised:
        await perform(fakes.ws, SUPERVISOR, command)

    assert (raised.value.code, raised.value.params) == ("stale_card", {"state": "accepted"})


async def test_an_unknown_ticket_is_not_found(fakes: Fakes) -> None:
    with pytest.raises(NotFound) as raised:
        await perform(fakes.ws, SUPERVISOR, StaffCommand(404, Action.ACCEPT))

    assert raised.value.code == "ticket_not_found"


ILLEGAL = [
    (state, action)
    for state in TicketState
    for action in STAFF_ACTIONS
    if (state, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
async def test_staff_action_outside_the_transition_table_is_illegal(
    fakes: Fakes, state: TicketState, action: Action
) -> None:
    ticket = in_state(fakes, state)
    command = StaffCommand(
        ticket.id,
        action,
        text="some words",
        duplicate_of_code="SR-OTHER",
        handler_member_id=11,
        target_department_id=2,
    )

    with pytest.raises(IllegalTransition) as raised:
        await perform(fakes.ws, admin(), command)

    assert raised.value.code == "illegal_transition"
    assert (raised.value.state, raised.value.action) == (str(state), str(action))
    assert fakes.tickets.tickets[ticket.id] == ticket
    assert fakes.tickets.events == [] and fakes.notifier.sent == []
