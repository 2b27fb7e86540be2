"""What to chase and when: the follow-ups a ticket's state calls for, planned as pure data.

Each state has *phases*: a new ticket runs the accept and the resolve phase (both count
from filing), an accepted, in-progress or reopened one only the resolve phase, a resolved
one the survey phase. `SPECS` lists the follow-ups of each phase and how their moment is
found. A transition cancels the follow-ups of the phases it leaves and plans those of the
phases it enters, so accepting cancels the accept reminders and cards, resolving cancels
the resolve ones and starts the survey with its auto-close, and moves inside a phase
(assigning, asking) change nothing. The scheduler stores the plan as rows and sweeps them.

Reminders fall at fractions of the *office time* to the deadline (see
`tickets.deadlines.fraction_points`) and are dropped when already past; a yellow card
falls at the deadline and a red card (with escalation to administrators, 督办) after the
grace working days, and both are kept even when past, so a late plan fires them at once.
A reminder whose deadline has come by the time it runs (a sweep late after downtime) is
stale: the yellow card says more, so the reminder is skipped, not sent after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from tickets.clock import as_utc
from tickets.deadlines import Deadlines, fraction_points
from tickets.states import TicketState


class FollowUpKind(StrEnum):
    REMIND_ACCEPT_50 = "remind_accept_50"
    REMIND_ACCEPT_80 = "remind_accept_80"
    YELLOW_ACCEPT = "yellow_accept"
    RED_ACCEPT = "red_accept"
    REMIND_RESOLVE_50 = "remind_resolve_50"
    REMIND_RESOLVE_80 = "remind_resolve_80"
    YELLOW_RESOLVE = "yellow_resolve"
    RED_RESOLVE = "red_resolve"
    SURVEY = "survey"
    AUTO_CLOSE = "auto_close"


class Phase(StrEnum):
    ACCEPT = "accept"
    RESOLVE = "resolve"
    SURVEY = "survey"


class Anchor(StrEnum):
    """How a follow-up's moment is found."""

    FRACTION = "fraction"  # a fraction of the office time from phase start to its deadline
    DEADLINE = "deadline"  # the phase's deadline
    GRACE = "grace"  # grace working days after the deadline
    SURVEY_DELAY = "survey_delay"  # `FollowUpSettings.survey_delay` after the phase starts
    AUTO_CLOSE_DELAY = "auto_close_delay"  # `FollowUpSettings.auto_close_after` after it


@dataclass(frozen=True)
class FollowUpSpec:
    kind: FollowUpKind
    phase: Phase
    anchor: Anchor
    fraction: float = 1.0
    drop_if_past: bool = False


@dataclass(frozen=True)
class FollowUpSettings:
    """The knobs of the survey phase; deadline follow-ups take theirs from `Deadlines`."""

    survey_delay: timedelta = timedelta(0)
    auto_close_after: timedelta = timedelta(days=7)


class FollowUp(NamedTuple):
    """One follow-up to store: a `(kind, due_at)` pair, `due_at` in UTC."""

    kind: FollowUpKind
    due_at: datetime


@dataclass(frozen=True)
class FollowUpPlan:
    """What a transition does to a ticket's follow-ups: kinds to cancel, rows to add."""

    cancel: tuple[FollowUpKind, ...]
    schedule: tuple[FollowUp, ...]


_K = FollowUpKind

SPECS: Final[tuple[FollowUpSpec, ...]] = (
    FollowUpSpec(_K.REMIND_ACCEPT_50, Phase.ACCEPT, Anchor.FRACTION, 0.5, drop_if_past=True),
    FollowUpSpec(_K.REMIND_ACCEPT_80, Phase.ACCEPT, Anchor.FRACTION, 0.8, drop_if_past=True),
    FollowUpSpec(_K.YELLOW_ACCEPT, Phase.ACCEPT, Anchor.DEADLINE),
    FollowUpSpec(_K.RED_ACCEPT, Phase.ACCEPT, Anchor.GRACE),
    FollowUpSpec(_K.REMIND_RESOLVE_50, Phase.RESOLVE, Anchor.FRACTION, 0.5, drop_if_past=True),
    FollowUpSpec(_K.REMIND_RESOLVE_80, Phase.RESOLVE, Anchor.FRACTION, 0.8, drop_if_past=True),
    FollowUpSpec(_K.YELLOW_RESOLVE, Phase.RESOLVE, Anchor.DEADLINE),
    FollowUpSpec(_K.RED_RESOLVE, Phase.RESOLVE, Anchor.GRACE),
    FollowUpSpec(_K.SURVEY, Phase.SURVEY, Anchor.SURVEY_DELAY),
    FollowUpSpec(_K.AUTO_CLOSE, Phase.SURVEY, Anchor.AUTO_CLOSE_DELAY),
)

_S = TicketState
STATE_PHASES: Final[MappingProxyType[TicketState, frozenset[Phase]]] = MappingProxyType(
    {
        _S.NEW: frozenset({Phase.ACCEPT, Phase.RESOLVE}),
        _S.ACCEPTED: frozenset({Phase.RESOLVE}),
        _S.IN_PROGRESS: frozenset({Phase.RESOLVE}),
        _S.REOPENED: frozenset({Phase.RESOLVE}),
        _S.RESOLVED: frozenset({Phase.SURVEY}),
        _S.CLOSED: frozenset(),
        _S.REJECTED: frozenset(),
        _S.DUPLICATE: frozenset(),
    }
)

DEFAULT_SETTINGS: Final = FollowUpSettings()


REMINDER_PHASES: Final[MappingProxyType[FollowUpKind, Phase]] = MappingProxyType(
    {spec.kind: spec.phase for spec in SPECS if spec.anchor is Anchor.FRACTION}
)


def is_stale_reminder(
    kind: FollowUpKind, *, now: datetime, accept_by: datetime | None, resolve_by: datetime | None
) -> bool:
    """Tell whether a reminder runs at or after its phase's deadline (its yellow card's time).

    "50 % of the time has passed" read after the yellow card would contradict it and tell
    the department nothing new.
    """
    phase = REMINDER_PHASES.get(kind)
    if phase is None:
        return False
    deadline = accept_by if phase is Phase.ACCEPT else resolve_by
    return deadline is not None and as_utc(now) >= as_utc(deadline)


def phases_of(state: TicketState | None) -> frozenset[Phase]:
    """Return the phases running while a ticket is in `state` (none before it exists)."""
    return frozenset() if state is None else STATE_PHASES[TicketState(state)]


def kinds_of(phases: Iterable[Phase]) -> tuple[FollowUpKind, ...]:
    """Return the follow-up kinds of `phases`, in `SPECS` order."""
    wanted = frozenset(phases)
    return tuple(spec.kind for spec in SPECS if spec.phase in wanted)


def _phase_deadline(phase: Phase, deadlines: Deadlines) -> tuple[datetime, datetime]:
    if phase is Phase.ACCEPT:
        return deadlines.accept_by, deadlines.accept_red_at
    return deadlines.resolve_by, deadlines.resolve_red_at


def plan_phases(
    phases: Iterable[Phase],
    *,
    now: datetime,
    deadlines: Deadlines | None = None,
    settings: FollowUpSettings = DEFAULT_SETTINGS,
) -> tuple[FollowUp, ...]:
    """Return the follow-ups of `phases` starting at `now`, sorted by due time."""
    now = as_utc(now)
    wanted = frozenset(phases)
    planned: list[FollowUp] = []
    for spec in SPECS:
        if spec.phase not in wanted:
            continue
        due = _due_at(spec, now=now, deadlines=deadlines, settings=settings)
        if spec.drop_if_past and due < now:
            continue
        planned.append(FollowUp(spec.kind, due))
    order = {spec.kind: index for index, spec in enumerate(SPECS)}
    return tuple(sorted(planned, key=lambda item: (item.due_at, order[item.kind])))


def _due_at(
    spec: FollowUpSpec, *, now: datetime, deadlines: Deadlines | None, settings: FollowUpSettings
) -> datetime:
    if spec.anchor is Anchor.SURVEY_DELAY:
        return now + settings.survey_delay
    if spec.anchor is Anchor.AUTO_CLOSE_DELAY:
        return now + settings.auto_close_after
    if deadlines is None:
        raise ValueError(f"planning the {spec.phase} phase needs the ticket's deadlines")
    deadline, red_at = _phase_deadline(spec.phase, deadlines)
    if spec.anchor is Anchor.DEADLINE:
        return as_utc(deadline)
    if spec.anchor is Anchor.GRACE:
        return red_at
    (point,) = fraction_points(
        now, deadline, (spec.fraction,), deadlines.tz, calendar=deadlines.calendar
    )
    return point


def cancelled_by(from_state: TicketState, to_state: TicketState) -> tuple[FollowUpKind, ...]:
    """Return the follow-up kinds a move from `from_state` to `to_state` cancels."""
    return kinds_of(phases_of(from_state) - phases_of(to_state))


def plan_transition(
    from_state: TicketState | None,
    to_state: TicketState,
    *,
    now: datetime,
    deadlines: Deadlines | None = None,
    settings: FollowUpSettings = DEFAULT_SETTINGS,
) -> FollowUpPlan:
    """Return the follow-ups to cancel and to schedule when a ticket moves to `to_state`.

    `deadlines` are needed when the move enters the accept or resolve phase (filing, and
    reopening, for which the caller computes a fresh resolve deadline).
    """
    entering = phases_of(to_state) - phases_of(from_state)
    cancel = () if from_state is None else cancelled_by(from_state, to_state)
    schedule = plan_phases(entering, now=now, deadlines=deadlines, settings=settings)
    return FollowUpPlan(cancel=cancel, schedule=schedule)


def plan_on_submit(
    now: datetime, deadlines: Deadlines, *, settings: FollowUpSettings = DEFAULT_SETTINGS
) -> tuple[FollowUp, ...]:
    """Return the follow-ups of a ticket filed at `now`."""
    return plan_transition(
        None, TicketState.NEW, now=now, deadlines=deadlines, settings=settings
    ).schedule
