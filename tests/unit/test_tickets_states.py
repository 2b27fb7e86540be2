from __future__ import annotations

import itertools

import pytest

from tickets.errors import DomainError, IllegalTransition
from tickets.states import (
    FINAL_STATES,
    OPEN_STATES,
    PERFORMERS,
    TRANSITIONS,
    Action,
    ActorKind,
    TicketState,
    available_actions,
    can,
    is_final,
    is_open,
    transition,
)

S = TicketState
A = Action


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (S.NEW, A.ACCEPT, S.ACCEPTED),
        (S.NEW, A.REJECT, S.REJECTED),
        (S.NEW, A.MARK_DUPLICATE, S.DUPLICATE),
        (S.ACCEPTED, A.ASSIGN, S.IN_PROGRESS),
        (S.ACCEPTED, A.START, S.IN_PROGRESS),
        (S.ACCEPTED, A.RESOLVE, S.RESOLVED),
        (S.IN_PROGRESS, A.RESOLVE, S.RESOLVED),
        (S.ACCEPTED, A.REJECT, S.REJECTED),
        (S.ACCEPTED, A.MARK_DUPLICATE, S.DUPLICATE),
        (S.IN_PROGRESS, A.MARK_DUPLICATE, S.DUPLICATE),
        (S.RESOLVED, A.CLOSE, S.CLOSED),
        (S.RESOLVED, A.AUTO_CLOSE, S.CLOSED),
        (S.RESOLVED, A.REOPEN, S.REOPENED),
        (S.REOPENED, A.ASSIGN, S.IN_PROGRESS),
        (S.REOPENED, A.START, S.IN_PROGRESS),
        (S.REOPENED, A.ACCEPT, S.IN_PROGRESS),
        (S.REOPENED, A.RESOLVE, S.RESOLVED),
        (S.NEW, A.ASK, S.NEW),
        (S.IN_PROGRESS, A.ASSIGN, S.IN_PROGRESS),
    ],
)
def test_designed_transitions(state: TicketState, action: Action, expected: TicketState) -> None:
    assert transition(state, action) is expected
    assert can(state, action)


def test_every_pair_outside_the_table_is_illegal() -> None:
    for state, action in itertools.product(TicketState, Action):
        if (state, action) in TRANSITIONS:
            continue
        assert not can(state, action)
        with pytest.raises(IllegalTransition) as caught:
            transition(state, action)
        assert caught.value.code == "illegal_transition"
        assert caught.value.params == {"state": state.value, "action": action.value}


def test_illegal_transition_is_a_domain_error() -> None:
    with pytest.raises(DomainError):
        transition(S.CLOSED, A.REOPEN)


def test_states_from_storage_strings_work() -> None:
    assert transition(TicketState("new"), Action("accept")) is S.ACCEPTED


def test_final_states_offer_nothing() -> None:
    for state in FINAL_STATES:
        assert available_actions(state, None) == ()
        assert is_final(state)
        assert not is_open(state)


def test_open_final_and_resolved_partition_the_states() -> None:
    assert OPEN_STATES | FINAL_STATES | {S.RESOLVED} == set(TicketState)
    assert not OPEN_STATES & FINAL_STATES
    assert not is_open(S.RESOLVED) and not is_final(S.RESOLVED)
    for state in OPEN_STATES:
        assert is_open(state)


def test_member_buttons_in_each_state() -> None:
    assert available_actions(S.NEW) == (
        A.ACCEPT,
        A.ROUTE,
        A.ASK,
        A.REJECT,
        A.MARK_DUPLICATE,
        A.MERGE,
    )
    assert available_actions(S.RESOLVED) == ()
    assert A.RESOLVE in available_actions(S.IN_PROGRESS)
    assert A.REJECT not in available_actions(S.IN_PROGRESS)


def test_reporter_and_system_actions() -> None:
    assert available_actions(S.RESOLVED, ActorKind.REPORTER) == (A.CLOSE, A.REOPEN)
    assert available_actions(S.RESOLVED, ActorKind.SYSTEM) == (A.AUTO_CLOSE,)
    assert available_actions(S.NEW, ActorKind.REPORTER) == ()


def test_every_action_has_performers_and_is_used() -> None:
    assert set(PERFORMERS) == set(Action)
    # A split returns to the state before its merge, read from the merge's event.
    assert {action for _, action in TRANSITIONS} == set(Action) - {A.SPLIT}


def test_merge_closes_an_open_ticket_as_a_duplicate() -> None:
    for state in (S.NEW, S.ACCEPTED, S.IN_PROGRESS):
        assert transition(state, A.MERGE) is S.DUPLICATE
    for state in set(TicketState) - {S.NEW, S.ACCEPTED, S.IN_PROGRESS}:
        assert not can(state, A.MERGE)


def _reachable(start: TicketState) -> set[TicketState]:
    seen = {start}
    frontier = [start]
    while frontier:
        state = frontier.pop()
        for action in available_actions(state, None):
            target = transition(state, action)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def test_every_state_is_reachable_from_new() -> None:
    assert _reachable(S.NEW) == set(TicketState)


def test_every_state_can_still_end() -> None:
    for state in TicketState:
        assert _reachable(state) & FINAL_STATES, state
