"""The life of a ticket: its states, the actions on it, and the transition table as data.

`new → accepted → in_progress → resolved → closed`, plus `rejected` and `duplicate`, and
`resolved → reopened → in_progress` when the reporter is not satisfied. Everything not in
`TRANSITIONS` is illegal and raises `IllegalTransition`. Some actions leave the state as it
is (asking the reporter for details, routing to another department, reassigning) but are
still listed, so the same table says which buttons a state offers.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from tickets.errors import IllegalTransition


class TicketState(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"  # 受理
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"  # 办结, awaiting the reporter's rating
    CLOSED = "closed"
    REJECTED = "rejected"  # 退回
    DUPLICATE = "duplicate"
    REOPENED = "reopened"  # 重新办理, after 不满意


class Action(StrEnum):
    ACCEPT = "accept"
    ROUTE = "route"  # 转办: hand to another department, before acceptance only
    ASSIGN = "assign"  # 指派: give to a handler
    START = "start"
    ASK = "ask"  # ask the reporter for details
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    # 合并: closed as a duplicate whose people follow the target (`tickets.merging`).
    MERGE = "merge"
    # Undo a merge: back to the state before it, so it is not in `TRANSITIONS`.
    SPLIT = "split"
    RESOLVE = "resolve"
    CLOSE = "close"  # the reporter is satisfied or fairly satisfied
    REOPEN = "reopen"  # the reporter is not satisfied
    AUTO_CLOSE = "auto_close"  # the survey went unanswered


class ActorKind(StrEnum):
    """Who performs an action; the same words as `TicketEvent.actor_kind`."""

    REPORTER = "reporter"
    MEMBER = "member"
    SYSTEM = "system"


_S = TicketState
_A = Action

# (state, action) → next state, in the order buttons are offered.
TRANSITIONS: Final[MappingProxyType[tuple[TicketState, Action], TicketState]] = MappingProxyType(
    {
        (_S.NEW, _A.ACCEPT): _S.ACCEPTED,
        (_S.NEW, _A.ROUTE): _S.NEW,
        (_S.NEW, _A.ASK): _S.NEW,
        (_S.NEW, _A.REJECT): _S.REJECTED,
        (_S.NEW, _A.MARK_DUPLICATE): _S.DUPLICATE,
        (_S.NEW, _A.MERGE): _S.DUPLICATE,
        (_S.ACCEPTED, _A.ASSIGN): _S.IN_PROGRESS,
        (_S.ACCEPTED, _A.START): _S.IN_PROGRESS,
        (_S.ACCEPTED, _A.RESOLVE): _S.RESOLVED,
        (_S.ACCEPTED, _A.ASK): _S.ACCEPTED,
        (_S.ACCEPTED, _A.REJECT): _S.REJECTED,
        (_S.ACCEPTED, _A.MARK_DUPLICATE): _S.DUPLICATE,
        (_S.ACCEPTED, _A.MERGE): _S.DUPLICATE,
        (_S.IN_PROGRESS, _A.RESOLVE): _S.RESOLVED,
        (_S.IN_PROGRESS, _A.ASSIGN): _S.IN_PROGRESS,
        (_S.IN_PROGRESS, _A.ASK): _S.IN_PROGRESS,
        (_S.IN_PROGRESS, _A.MARK_DUPLICATE): _S.DUPLICATE,
        (_S.IN_PROGRESS, _A.MERGE): _S.DUPLICATE,
        (_S.RESOLVED, _A.CLOSE): _S.CLOSED,
        (_S.RESOLVED, _A.REOPEN): _S.REOPENED,
        (_S.RESOLVED, _A.AUTO_CLOSE): _S.CLOSED,
        (_S.REOPENED, _A.ACCEPT): _S.IN_PROGRESS,
        (_S.REOPENED, _A.ASSIGN): _S.IN_PROGRESS,
        (_S.REOPENED, _A.START): _S.IN_PROGRESS,
        (_S.REOPENED, _A.RESOLVE): _S.RESOLVED,
        (_S.REOPENED, _A.ASK): _S.REOPENED,
    }
)

# Who may perform each action; staff buttons show only the MEMBER ones.
PERFORMERS: Final[MappingProxyType[Action, frozenset[ActorKind]]] = MappingProxyType(
    {
        **{
            action: frozenset({ActorKind.MEMBER})
            for action in (
                _A.ACCEPT,
                _A.ROUTE,
                _A.ASSIGN,
                _A.START,
                _A.ASK,
                _A.REJECT,
                _A.MARK_DUPLICATE,
                _A.MERGE,
                _A.SPLIT,
                _A.RESOLVE,
            )
        },
        _A.CLOSE: frozenset({ActorKind.REPORTER}),
        _A.REOPEN: frozenset({ActorKind.REPORTER}),
        _A.AUTO_CLOSE: frozenset({ActorKind.SYSTEM}),
    }
)

FINAL_STATES: Final = frozenset({_S.CLOSED, _S.REJECTED, _S.DUPLICATE})
# The department still owes work; `resolved` waits on the reporter, not the department.
OPEN_STATES: Final = frozenset({_S.NEW, _S.ACCEPTED, _S.IN_PROGRESS, _S.REOPENED})


def transition(state: TicketState, action: Action) -> TicketState:
    """Return the state `action` leads to from `state`, or raise `IllegalTransition`."""
    try:
        return TRANSITIONS[(TicketState(state), Action(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(state, action) from None


def can(state: TicketState, action: Action) -> bool:
    """Tell whether `action` is allowed in `state`."""
    return (state, action) in TRANSITIONS


def available_actions(
    state: TicketState, actor: ActorKind | None = ActorKind.MEMBER
) -> tuple[Action, ...]:
    """Return the actions `actor` may take in `state` (all actors when None), table order."""
    return tuple(
        action
        for (from_state, action) in TRANSITIONS
        if from_state == state and (actor is None or actor in PERFORMERS[action])
    )


def is_open(state: TicketState) -> bool:
    """Tell whether the department still owes work on a ticket in `state`."""
    return state in OPEN_STATES


def is_final(state: TicketState) -> bool:
    """Tell whether no action can move a ticket out of `state`."""
    return state in FINAL_STATES
