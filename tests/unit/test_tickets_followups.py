from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.clock import ManualClock
from tickets.deadlines import DeadlinePolicy, Deadlines, compute_deadlines, resolve_deadline
from tickets.followups import (
    SPECS,
    STATE_PHASES,
    FollowUp,
    FollowUpKind,
    FollowUpSettings,
    Phase,
    cancelled_by,
    is_stale_reminder,
    kinds_of,
    phases_of,
    plan_on_submit,
    plan_transition,
)
from tickets.states import TRANSITIONS, Action, TicketState, transition

SHANGHAI = ZoneInfo("Asia/Shanghai")
K = FollowUpKind
S = TicketState

ACCEPT_KINDS = {K.REMIND_ACCEPT_50, K.REMIND_ACCEPT_80, K.YELLOW_ACCEPT, K.RED_ACCEPT}
RESOLVE_KINDS = {K.REMIND_RESOLVE_50, K.REMIND_RESOLVE_80, K.YELLOW_RESOLVE, K.RED_RESOLVE}
SURVEY_KINDS = {K.SURVEY, K.AUTO_CLOSE}


def sh(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def test_specs_cover_every_kind_once_and_every_state_has_phases() -> None:
    kinds = [spec.kind for spec in SPECS]
    assert sorted(kinds) == sorted(FollowUpKind)
    assert set(STATE_PHASES) == set(TicketState)
    assert set(kinds_of(Phase)) == set(FollowUpKind)
    assert set(kinds_of([Phase.ACCEPT])) == ACCEPT_KINDS
    assert set(kinds_of([Phase.RESOLVE])) == RESOLVE_KINDS
    assert set(kinds_of([Phase.SURVEY])) == SURVEY_KINDS


def test_plan_on_submit_across_national_day() -> None:
    clock = ManualClock(sh(9, 26, 17))
    deadlines = compute_deadlines(DeadlinePolicy(), clock.now())
    plan = plan_on_submit(clock.now(), deadlines)
    assert plan == (
        FollowUp(K.REMIND_ACCEPT_50, sh(9, 28, 13)),
        FollowUp(K.REMIND_ACCEPT_80, sh(9, 28, 16)),
        FollowUp(K.YELLOW_ACCEPT, sh(9, 28, 18)),
        # 46 office hours to Oct 10 18:00: half is 23 h, 80 % is 36.8 h.
        FollowUp(K.REMIND_RESOLVE_50, sh(9, 30, 13)),
        FollowUp(K.RED_ACCEPT, sh(9, 30, 18)),
        FollowUp(K.REMIND_RESOLVE_80, sh(10, 9, 17, 48)),
        FollowUp(K.YELLOW_RESOLVE, sh(10, 10, 18)),
        FollowUp(K.RED_RESOLVE, sh(10, 13, 18)),
    )
    kind, due_at = plan[0]  # rows are plain (kind, due_at) pairs for the repository
    assert kind == "remind_accept_50" and due_at.tzinfo is not None


def test_accepting_cancels_only_the_accept_follow_ups() -> None:
    clock = ManualClock(sh(6, 16, 10))
    plan = plan_transition(S.NEW, transition(S.NEW, Action.ACCEPT), now=clock.now())
    assert set(plan.cancel) == ACCEPT_KINDS
    assert plan.schedule == ()


def test_moves_inside_a_phase_change_nothing() -> None:
    clock = ManualClock(sh(6, 16, 10))
    for state, action in [(S.ACCEPTED, Action.ASSIGN), (S.IN_PROGRESS, Action.ASK)]:
        plan = plan_transition(state, transition(state, action), now=clock.now())
        assert plan.cancel == () and plan.schedule == ()


def test_resolving_cancels_resolve_follow_ups_and_starts_the_survey() -> None:
    clock = ManualClock(sh(6, 18, 15))
    plan = plan_transition(S.IN_PROGRESS, S.RESOLVED, now=clock.now())
    assert set(plan.cancel) == RESOLVE_KINDS
    assert plan.schedule == (
        FollowUp(K.SURVEY, clock.now()),
        FollowUp(K.AUTO_CLOSE, clock.now() + timedelta(days=7)),
    )


def test_survey_timing_is_configurable() -> None:
    clock = ManualClock(sh(6, 18, 15))
    settings = FollowUpSettings(survey_delay=timedelta(hours=1), auto_close_after=timedelta(3))
    plan = plan_transition(S.ACCEPTED, S.RESOLVED, now=clock.now(), settings=settings)
    assert plan.schedule == (
        FollowUp(K.SURVEY, sh(6, 18, 16)),
        FollowUp(K.AUTO_CLOSE, sh(6, 21, 15)),
    )


def test_rejecting_a_new_ticket_cancels_all_its_follow_ups() -> None:
    plan = plan_transition(S.NEW, S.REJECTED, now=sh(6, 16, 10))
    assert set(plan.cancel) == ACCEPT_KINDS | RESOLVE_KINDS
    assert plan.schedule == ()


@pytest.mark.parametrize("action", [Action.CLOSE, Action.AUTO_CLOSE])
def test_closing_cancels_the_survey_follow_ups(action: Action) -> None:
    plan = plan_transition(S.RESOLVED, transition(S.RESOLVED, action), now=sh(6, 20, 10))
    assert set(plan.cancel) == SURVEY_KINDS
    assert plan.schedule == ()


def test_reopening_plans_the_resolve_phase_on_a_fresh_deadline() -> None:
    clock = ManualClock(sh(6, 16, 10))
    policy = DeadlinePolicy()
    first = compute_deadlines(policy, clock.now())
    clock.set(sh(6, 27, 11))  # the reporter answers 不满意
    deadlines = Deadlines(
        accept_by=first.accept_by, resolve_by=resolve_deadline(policy, clock.now())
    )
    plan = plan_transition(S.RESOLVED, S.REOPENED, now=clock.now(), deadlines=deadlines)
    assert set(plan.cancel) == SURVEY_KINDS
    assert {item.kind for item in plan.schedule} == RESOLVE_KINDS
    assert FollowUp(K.YELLOW_RESOLVE, sh(7, 4, 18)) in plan.schedule
    assert all(item.due_at > clock.now() for item in plan.schedule)


def test_entering_a_deadline_phase_needs_deadlines() -> None:
    with pytest.raises(ValueError):
        plan_transition(S.RESOLVED, S.REOPENED, now=sh(6, 27, 11))


def test_late_plans_drop_past_reminders_but_keep_overdue_cards() -> None:
    filed = sh(6, 16, 10)
    deadlines = compute_deadlines(DeadlinePolicy(), filed)
    clock = ManualClock(filed)
    clock.set(sh(6, 19, 12))  # planned only now, after the accept deadline (Jun 17 18:00)
    plan = plan_on_submit(clock.now(), deadlines)
    kinds = {item.kind for item in plan}
    assert K.REMIND_ACCEPT_50 not in kinds and K.REMIND_ACCEPT_80 not in kinds
    assert FollowUp(K.YELLOW_ACCEPT, sh(6, 17, 18)) in plan
    assert FollowUp(K.RED_ACCEPT, sh(6, 19, 18)) in plan
    assert all(item.due_at >= clock.now() for item in plan if item.kind.startswith("remind"))


def test_every_legal_transition_keeps_cancel_and_schedule_apart() -> None:
    now = sh(6, 16, 10)
    deadlines = compute_deadlines(DeadlinePolicy(), now)
    for (state, _action), target in TRANSITIONS.items():
        plan = plan_transition(state, target, now=now, deadlines=deadlines)
        scheduled = {item.kind for item in plan.schedule}
        assert not scheduled & set(plan.cancel)
        assert set(plan.cancel) <= set(kinds_of(phases_of(state)))
        assert set(plan.cancel) == set(cancelled_by(state, target))
        assert scheduled <= set(kinds_of(phases_of(target)))


def test_pending_follow_ups_always_match_the_state() -> None:
    """Replay a ticket's life on a ManualClock against an in-memory follow-up table."""
    clock = ManualClock(sh(9, 26, 17))
    policy = DeadlinePolicy()
    deadlines = compute_deadlines(policy, clock.now())
    pending: dict[FollowUpKind, datetime] = {}

    def apply(state: TicketState | None, target: TicketState) -> None:
        plan = plan_transition(state, target, now=clock.now(), deadlines=deadlines)
        for kind in plan.cancel:
            pending.pop(kind, None)
        for kind, due_at in plan.schedule:
            assert kind not in pending  # never planned twice
            pending[kind] = due_at

    def fire_due() -> list[FollowUpKind]:
        due = sorted(kind for kind, at in pending.items() if at <= clock.now())
        for kind in due:
            del pending[kind]
        return due

    apply(None, S.NEW)
    clock.set(sh(9, 28, 14))
    assert fire_due() == [K.REMIND_ACCEPT_50]
    state = transition(S.NEW, Action.ACCEPT)
    apply(S.NEW, state)
    assert set(pending) == RESOLVE_KINDS
    clock.advance(timedelta(days=20))
    assert set(fire_due()) == RESOLVE_KINDS  # yellow and red for resolving came due
    resolved = transition(state, Action.RESOLVE)
    apply(state, resolved)
    assert set(pending) == SURVEY_KINDS
    assert fire_due() == [K.SURVEY]
    reopened = transition(resolved, Action.REOPEN)
    deadlines = Deadlines(deadlines.accept_by, resolve_deadline(policy, clock.now()))
    apply(resolved, reopened)
    assert set(pending) == RESOLVE_KINDS
    apply(reopened, transition(reopened, Action.RESOLVE))
    clock.advance(timedelta(days=7))
    assert set(fire_due()) == SURVEY_KINDS
    apply(S.RESOLVED, transition(S.RESOLVED, Action.AUTO_CLOSE))
    assert pending == {}


def test_a_reminder_run_at_or_after_its_deadline_is_stale() -> None:
    clock = ManualClock(sh(3, 3, 9))
    accept_by, resolve_by = sh(3, 4, 9), sh(3, 10, 9)
    for kind in (K.REMIND_ACCEPT_50, K.REMIND_ACCEPT_80):
        assert not is_stale_reminder(kind, now=clock.now(), accept_by=accept_by, resolve_by=None)
    clock.set(accept_by)
    assert is_stale_reminder(
        K.REMIND_ACCEPT_80, now=clock.now(), accept_by=accept_by, resolve_by=None
    )
    # The resolve reminders wait for their own, later deadline.
    assert not is_stale_reminder(
        K.REMIND_RESOLVE_50, now=clock.now(), accept_by=accept_by, resolve_by=resolve_by
    )
    clock.advance(timedelta(days=7))
    assert is_stale_reminder(
        K.REMIND_RESOLVE_50, now=clock.now(), accept_by=accept_by, resolve_by=resolve_by
    )


def test_cards_and_surveys_are_never_stale() -> None:
    late = sh(12, 31)
    for kind in (K.YELLOW_ACCEPT, K.RED_ACCEPT, K.YELLOW_RESOLVE, K.RED_RESOLVE, K.SURVEY):
        assert not is_stale_reminder(kind, now=late, accept_by=sh(3, 4), resolve_by=sh(3, 10))
