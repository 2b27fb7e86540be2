from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tickets.clock import ManualClock
from tickets.deadlines import (
    DeadlinePolicies,
    DeadlinePolicy,
    Deadlines,
    compute_deadlines,
    fraction_points,
    resolve_deadline,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def test_default_policy_is_one_and_five_working_days_with_two_days_grace() -> None:
    policy = DeadlinePolicy()
    assert (policy.accept_days, policy.resolve_days, policy.grace_days) == (1, 5, 2)
    assert DeadlinePolicy(2, 10) == DeadlinePolicy(accept_days=2, resolve_days=10)


def test_policy_rejects_negative_days() -> None:
    with pytest.raises(ValueError):
        DeadlinePolicy(accept_days=-1)
    with pytest.raises(ValueError):
        DeadlinePolicy(grace_days=-1)


def test_deadlines_of_a_report_filed_before_national_day() -> None:
    clock = ManualClock(sh(9, 26, 17))  # Friday afternoon
    deadlines = compute_deadlines(DeadlinePolicy(), clock.now())
    assert deadlines.accept_by == sh(9, 28, 18)  # Sunday make-up working day
    # Sep 28, 29, 30, Oct 9, Oct 10 are the five working days.
    assert deadlines.resolve_by == sh(10, 10, 18)
    assert deadlines.accept_red_at == sh(9, 30, 18)
    assert deadlines.resolve_red_at == sh(10, 13, 18)  # Sat Oct 11 counts, Sun 12 does not


def test_deadlines_remember_grace_and_zone() -> None:
    deadlines = compute_deadlines(DeadlinePolicy(grace_days=1), sh(6, 16, 10), "Asia/Shanghai")
    assert deadlines == Deadlines(
        accept_by=sh(6, 17, 18), resolve_by=sh(6, 23, 18), grace_days=1, tz="Asia/Shanghai"
    )
    assert deadlines.accept_red_at == sh(6, 18, 18)


def test_zero_grace_makes_red_coincide_with_the_deadline() -> None:
    deadlines = compute_deadlines(DeadlinePolicy(grace_days=0), sh(6, 16, 10))
    assert deadlines.accept_red_at == deadlines.accept_by


def test_reopened_ticket_gets_a_fresh_resolve_deadline() -> None:
    assert resolve_deadline(DeadlinePolicy(resolve_days=3), sh(10, 10, 11)) == sh(10, 14, 18)


def test_category_overrides_and_defaults() -> None:
    policies = DeadlinePolicies(overrides={"car": DeadlinePolicy(2, 10)})
    assert policies.for_category("car") == DeadlinePolicy(2, 10)
    assert policies.for_category("car") == DeadlinePolicy(2, 10)
    assert policies.for_category("rude") == DeadlinePolicy()
    stricter = policies.with_days("gifts", 0, 3)
    assert stricter.for_category("gifts") == DeadlinePolicy(0, 3, 2)
    assert policies.for_category("gifts") == DeadlinePolicy()  # the original is untouched


def test_policies_cannot_be_changed_in_place() -> None:
    source = {"car": DeadlinePolicy(2, 10)}
    policies = DeadlinePolicies(overrides=source)
    source["rude"] = DeadlinePolicy(3, 3)
    assert policies.for_category("rude") == DeadlinePolicy()
    with pytest.raises(TypeError):
        policies.overrides["gifts"] = DeadlinePolicy()  # type: ignore[index]


def test_fraction_points_count_office_time_not_wall_time() -> None:
    # Friday 17:00 → Monday 18:00 holds 10 office hours: 1 on Friday, 9 on Monday.
    half, most = fraction_points(sh(6, 13, 17), sh(6, 16, 18))
    assert (half, most) == (sh(6, 16, 13), sh(6, 16, 16))


def test_fraction_points_skip_the_holiday() -> None:
    (half,) = fraction_points(sh(9, 30, 9), sh(10, 9, 18), (0.5,))
    assert half == sh(9, 30, 18)
    (later,) = fraction_points(sh(9, 30, 9), sh(10, 9, 18), (0.6,))
    assert later == sh(10, 9, 10, 48)


def test_fraction_points_ends_and_order() -> None:
    start, deadline = sh(6, 16, 10), sh(6, 20, 18)
    points = fraction_points(start, deadline, (0.0, 0.25, 0.5, 0.8, 1.0))
    assert points[0] == start and points[-1] == deadline
    assert list(points) == sorted(points)


def test_fraction_points_fall_back_to_wall_time_without_office_time() -> None:
    assert fraction_points(sh(6, 14, 10), sh(6, 14, 20)) == (sh(6, 14, 15), sh(6, 14, 18))


def test_fraction_points_of_a_past_deadline_are_the_deadline() -> None:
    assert fraction_points(sh(6, 16, 10), sh(6, 16, 9)) == (sh(6, 16, 9), sh(6, 16, 9))


def test_fraction_points_reject_fractions_outside_zero_to_one() -> None:
    with pytest.raises(ValueError):
        fraction_points(sh(6, 16, 10), sh(6, 17, 18), (1.5,))
