"""The pure computations of `tickets.measures`: percentiles, office time, periods, ranking."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.calendar import working_hours_between
from tickets.measures import (
    Counts,
    DepartmentMeasures,
    OfficeTimeline,
    Period,
    RankingWeights,
    TimesRow,
    WeekCounts,
    build_measures,
    composite_score,
    fold_times,
    percentile,
    rank_departments,
    spread,
    top,
    working_hours,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 1.0, 4.0, 2.0]  # sorted: 1 2 4 10
    assert percentile(values, 50) == pytest.approx(3.0)
    assert percentile(values, 90) == pytest.approx(4 + 6 * 0.7)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 10.0
    assert percentile([7.0], 90) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_spread_of_nothing_is_empty() -> None:
    assert spread([]).median is None and spread([]).count == 0


def test_rates_without_a_denominator_are_none() -> None:
    measures = build_measures(Counts())
    assert measures.on_time_accept_rate is None
    assert measures.satisfaction_rate is None
    assert measures.reopen_rate is None
    assert composite_score(measures) is None


def test_counts_add_field_by_field() -> None:
    total = Counts(received=2, reopened=1) + Counts(received=3, red_cards=1)
    assert (total.received, total.reopened, total.red_cards) == (5, 1, 1)


def test_top_breaks_ties_by_name() -> None:
    assert top({"b": 2, "a": 2, "c": 5, "d": 1}, 3) == (("c", 5), ("a", 2), ("b", 2))


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def test_office_timeline_agrees_with_the_calendar_around_national_day() -> None:
    rng = random.Random(7)
    base = datetime(2025, 9, 20, tzinfo=SHANGHAI)
    spans = []
    for _ in range(300):
        a = base + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
        spans.append((a, a + timedelta(minutes=rng.randrange(0, 12 * 24 * 60))))
    fast = working_hours([(_epoch(a), _epoch(b)) for a, b in spans], SHANGHAI)
    slow = [working_hours_between(a, b, SHANGHAI) for a, b in spans]
    assert fast == pytest.approx(slow, abs=1e-9)


def test_weekend_and_holiday_hours_do_not_count() -> None:
    friday_5pm = datetime(2025, 3, 7, 17, tzinfo=SHANGHAI)
    monday_10am = datetime(2025, 3, 10, 10, tzinfo=SHANGHAI)
    assert working_hours([(_epoch(friday_5pm), _epoch(monday_10am))]) == [2.0]
    # National Day 2025: Sep 30 18:00 → Oct 9 10:00 is one office hour.
    before = datetime(2025, 9, 30, 17, tzinfo=SHANGHAI)
    after = datetime(2025, 10, 9, 10, tzinfo=SHANGHAI)
    assert working_hours([(_epoch(before), _epoch(after))]) == [2.0]


def test_office_timeline_rejects_bad_hours() -> None:
    with pytest.raises(ValueError):
        OfficeTimeline(date(2025, 1, 1), day_start=18, day_end=9)


def test_durations_fold_per_group_and_never_go_negative() -> None:
    friday_5pm = datetime(2025, 3, 7, 17, tzinfo=SHANGHAI).timestamp()
    monday_10am = datetime(2025, 3, 10, 10, tzinfo=SHANGHAI).timestamp()
    # A far-future resolution makes the timeline grow well past its first week.
    later = datetime(2025, 6, 3, 10, tzinfo=SHANGHAI).timestamp()
    rows: list[TimesRow[str]] = [
        ("a", "resolved", friday_5pm, monday_10am, later),
        ("a", "new", friday_5pm, None, None),
        ("b", "accepted", monday_10am, friday_5pm, None),  # clock skew: accepted "before"
    ]
    period = Period.local_days(date(2025, 3, 3), date(2025, 3, 17), SHANGHAI)
    folded = fold_times(rows, period, SHANGHAI)
    expected = working_hours_between(
        datetime.fromtimestamp(friday_5pm, UTC), datetime.fromtimestamp(later, UTC), SHANGHAI
    )
    assert folded.durations["a"].accept == [2.0]
    assert folded.durations["a"].resolve == [pytest.approx(expected)]
    assert folded.durations["b"].accept == [0.0]
    assert [w.total for w in folded.weeks] == [2, 1]


def test_periods_are_local_and_half_open() -> None:
    q1 = Period.quarter(2025, 1, SHANGHAI)
    assert q1.start == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert q1.end == datetime(2025, 3, 31, 16, tzinfo=UTC)
    assert Period.quarter_of(date(2025, 11, 5)).start == datetime(2025, 9, 30, 16, tzinfo=UTC)
    assert Period.month_of(date(2025, 12, 9)).end == datetime(2025, 12, 31, 16, tzinfo=UTC)
    week = Period.week_of(date(2025, 3, 6), SHANGHAI)
    assert week.start == datetime(2025, 3, 3, tzinfo=SHANGHAI)
    assert week.end - week.start == timedelta(days=7)
    with pytest.raises(ValueError):
        Period.quarter(2025, 5)


def test_weekly_counts_keep_empty_weeks() -> None:
    period = Period.local_days(date(2025, 3, 3), date(2025, 3, 24), SHANGHAI)
    monday = datetime(2025, 3, 17, tzinfo=SHANGHAI).timestamp()
    rows: list[TimesRow[int]] = [
        (1, "closed", monday - 0.001, None, None),
        (1, "new", monday, None, None),
        (2, "new", monday + 7 * 3600, None, None),
    ]
    weeks = fold_times(rows, period, SHANGHAI).weeks
    assert weeks == (
        WeekCounts(date(2025, 3, 3), {}),
        WeekCounts(date(2025, 3, 10), {"closed": 1}),
        WeekCounts(date(2025, 3, 17), {"new": 2}),
    )


def _department(department_id: int, name: str, **counts: int) -> DepartmentMeasures:
    return DepartmentMeasures(department_id, name, build_measures(Counts(**counts)))


def test_ranking_orders_by_the_documented_composite() -> None:
    steady = _department(
        1,
        "甲",
        received=10,
        resolve_due=10,
        resolved_on_time=9,
        satisfied=4,
        unsatisfied=1,
        resolved_ever=10,
        reopened=1,
    )
    slow = _department(
        2, "乙", received=10, resolve_due=10, resolved_on_time=5, satisfied=5, resolved_ever=10
    )
    ranking = rank_departments([slow, steady])
    assert [e.name for e in ranking.entries] == ["甲", "乙"]
    assert ranking.entries[0].score == pytest.approx(0.5 * 0.9 + 0.3 * 0.8 + 0.2 * 0.9)
    assert ranking.entries[1].score == pytest.approx(0.5 * 0.5 + 0.3 * 1.0 + 0.2 * 1.0)
    assert ranking.best is ranking.entries[0] and ranking.worst is ranking.entries[1]
    assert ranking.weights == RankingWeights()


def test_missing_components_rescale_the_weights() -> None:
    no_surveys = _department(
        1, "甲", received=4, resolve_due=4, resolved_on_time=3, resolved_ever=3
    )
    assert composite_score(no_surveys.measures) == pytest.approx((0.5 * 0.75 + 0.2) / 0.7)


def test_ties_go_to_more_tickets_then_name_and_small_departments_are_unranked() -> None:
    weights = RankingWeights(on_time_resolution=1, satisfaction=0, not_reopened=0)
    b = _department(1, "B 局", received=2, resolve_due=2, resolved_on_time=2)
    a = _department(2, "A 局", received=2, resolve_due=2, resolved_on_time=2)
    c = _department(3, "C 局", received=9, resolve_due=9, resolved_on_time=9)
    tiny = _department(4, "D 局", received=1, resolve_due=1, resolved_on_time=1)
    ranking = rank_departments([b, a, c, tiny], weights, min_received=2)
    assert [e.name for e in ranking.entries] == ["C 局", "A 局", "B 局"]
    assert [d.name for d in ranking.unranked] == ["D 局"]


def test_a_single_ranked_department_has_no_worst() -> None:
    only = _department(1, "甲", received=1, resolve_due=1, resolved_on_time=1)
    ranking = rank_departments([only])
    assert ranking.best is not None and ranking.worst is None


def test_weights_must_be_sensible() -> None:
    with pytest.raises(ValueError):
        RankingWeights(on_time_resolution=-1)
    with pytest.raises(ValueError):
        RankingWeights(0, 0, 0)
