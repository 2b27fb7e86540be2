"""Every measure on the hand-worked data set of `tests/stats/dataset.py`."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

import pytest

from storage.stats import load_department_measures, load_measures, load_ranking, load_stats
from tests.stats.conftest import StatsDb
from tests.stats.dataset import AS_OF, PERIOD, SHANGHAI
from tickets.measures import Counts, Period

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_counts_for_all_departments_follow_the_definitions(stats_db: StatsDb) -> None:
    measures = await load_measures(stats_db.sessions, PERIOD, as_of=AS_OF)
    assert measures.counts == Counts(
        received=8, actionable=6, accepted=5, accept_due=6, accepted_on_time=4,
        replied=5, reply_due=6, resolved=5, resolve_due=6, resolved_on_time=4,
        resolved_ever=5, satisfied=1, fair=1, unsatisfied=1, default_satisfied=1,
        reopened=2, yellow_cards=2, red_cards=1, with_finding=3, substantiated=2,
        people_concerned=3,
    )  # fmt: skip


async def test_rates_for_all_departments(stats_db: StatsDb) -> None:
    m = await load_measures(stats_db.sessions, PERIOD, as_of=AS_OF)
    assert m.on_time_accept_rate == pytest.approx(4 / 6)
    assert m.reply_rate == pytest.approx(5 / 6)
    assert m.on_time_resolve_rate == pytest.approx(4 / 6)
    assert m.satisfaction_rate == pytest.approx(2 / 3)
    assert m.default_satisfied_share == pytest.approx(1 / 4)
    assert m.reopen_rate == pytest.approx(2 / 5)


async def test_working_hour_spreads_for_all_departments(stats_db: StatsDb) -> None:
    m = await load_measures(stats_db.sessions, PERIOD, as_of=AS_OF)
    # accept: A1 1, A2 2, A3 9.5, B1 1, B2 1 → [1, 1, 1, 2, 9.5]
    assert astuple(m.accept_hours) == (5, pytest.approx(1.0), pytest.approx(2 + 7.5 * 0.6))
    # resolve: A1 9, A2 12, A3 64, B1 9, B2 9 → [9, 9, 9, 12, 64]
    assert astuple(m.resolve_hours) == (5, pytest.approx(9.0), pytest.approx(12 + 52 * 0.6))


async def test_median_across_a_weekend_counts_office_hours_only(stats_db: StatsDb) -> None:
    m = await load_measures(
        stats_db.sessions, PERIOD, as_of=AS_OF, department_id=stats_db.ids.city
    )
    # The medians are A2's spans: Fri 17:00 → Mon 10:00 is 65 wall hours but 2 office
    # hours; Fri 17:00 → Tue 11:00 is 90 wall hours but 12 office hours.
    assert m.accept_hours.median == pytest.approx(2.0)
    assert m.resolve_hours.median == pytest.approx(12.0)
    assert m.resolve_hours.p90 == pytest.approx(12 + 52 * 0.8)


async def test_top_categories_and_places(stats_db: StatsDb) -> None:
    m = await load_measures(stats_db.sessions, PERIOD, as_of=AS_OF)
    assert m.top_categories == (("absent", 4), ("rude", 2), ("car", 1), ("other", 1))
    assert m.top_places == (("东门", 3), ("南广场", 2), ("北站", 1))


async def test_one_department(stats_db: StatsDb) -> None:
    m = await load_measures(
        stats_db.sessions, PERIOD, as_of=AS_OF, department_id=stats_db.ids.traffic
    )
    assert m.counts.received == 3
    assert m.on_time_accept_rate == 1.0
    assert m.on_time_resolve_rate == 1.0
    assert m.satisfaction_rate == 0.0
    assert m.default_satisfied_share == 0.5
    assert m.reopen_rate == 0.5
    assert (m.counts.yellow_cards, m.counts.red_cards) == (0, 0)


async def test_one_category(stats_db: StatsDb) -> None:
    m = await load_measures(stats_db.sessions, PERIOD, as_of=AS_OF, category="absent")
    # A1, A3, A5 and the duplicate B3
    assert (m.counts.received, m.counts.actionable, m.counts.resolved) == (4, 3, 2)
    assert m.on_time_resolve_rate == pytest.approx(1 / 3)
    assert m.top_categories == (("absent", 4),)


async def test_department_measures_list_every_active_department(stats_db: StatsDb) -> None:
    departments = await load_department_measures(
        stats_db.sessions, PERIOD, as_of=AS_OF, with_places=True
    )
    by_name = {d.name: d.measures for d in departments}
    assert list(by_name) == ["城管局", "交通局", "市场监管局"]
    city = by_name["城管局"]
    assert (city.on_time_accept_rate, city.reply_rate, city.on_time_resolve_rate) == (
        0.5,
        0.75,
        0.5,
    )
    assert city.satisfaction_rate == 1.0
    assert city.reopen_rate == pytest.approx(1 / 3)
    assert city.top_places == (("东门", 2), ("南广场", 1))
    assert by_name["交通局"].top_places == (("东门", 1), ("北站", 1), ("南广场", 1))
    assert by_name["市场监管局"].counts == Counts()


async def test_quarterly_ranking_names_best_and_worst(stats_db: StatsDb) -> None:
    ranking = await load_ranking(stats_db.sessions, Period.quarter(2025, 1, SHANGHAI), as_of=AS_OF)
    # 城管局 0.5·0.5 + 0.3·1 + 0.2·(1 − 1/3); 交通局 0.5·1 + 0.3·0 + 0.2·(1 − 1/2); the
    # quarter also holds X0 and X1 for 交通局: X0 is on time, satisfied, reopened-by-event
    # (its `resolved_at` makes it resolved), X1 is new and overdue.
    assert ranking.best is not None and ranking.best.name == "城管局"
    assert ranking.best.score == pytest.approx(0.25 + 0.3 + 0.2 * 2 / 3)
    assert ranking.worst is not None and ranking.worst.name == "交通局"
    assert ranking.worst.score == pytest.approx(0.5 * 3 / 4 + 0.3 * 1 / 2 + 0.2 * (1 - 2 / 3))
    assert [d.name for d in ranking.unranked] == ["市场监管局"]


async def test_weekly_states_bucket_by_local_week(stats_db: StatsDb) -> None:
    two_weeks = Period.local_days(date(2025, 3, 3), date(2025, 3, 17), SHANGHAI)
    weeks = (await load_stats(stats_db.sessions, two_weeks, as_of=AS_OF)).weeks
    assert [w.week_start for w in weeks] == [date(2025, 3, 3), date(2025, 3, 10)]
    assert weeks[0].by_state == {
        "closed": 3, "resolved": 1, "rejected": 1, "new": 1, "reopened": 1, "duplicate": 1
    }  # fmt: skip
    # X1 was filed Monday 07:30 local, still Sunday in UTC: it belongs to the second week.
    assert weeks[1].by_state == {"new": 1}


async def test_a_supervisor_sees_only_their_department(stats_db: StatsDb) -> None:
    stats = await load_stats(
        stats_db.sessions, PERIOD, as_of=AS_OF, department_id=stats_db.ids.traffic
    )
    assert [d.name for d in stats.departments] == ["交通局"]
    department = stats.departments[0].measures
    assert stats.overall.counts == department.counts
    assert stats.overall.resolve_hours == department.resolve_hours
    assert stats.weeks[0].total == 3


async def test_findings_count_the_resolutions_standing_in_the_period(stats_db: StatsDb) -> None:
    stats = await load_stats(stats_db.sessions, PERIOD, as_of=AS_OF)
    c = stats.overall.counts
    # A1 and X0 (received the week before) substantiated, B1 not; A2 resolved later, B2
    # reopened, A3 without a finding.
    assert (c.substantiated, c.people_concerned, c.with_finding) == (2, 3, 3)
    assert stats.overall.substantiation_rate == pytest.approx(2 / 3)
    by_name = {d.name: d.measures for d in stats.departments}
    city, traffic = by_name["城管局"], by_name["交通局"]
    assert (city.counts.substantiated, city.counts.people_concerned) == (1, 2)
    assert city.substantiation_rate == 1.0
    assert (traffic.counts.substantiated, traffic.counts.people_concerned) == (1, 1)
    assert traffic.substantiation_rate == 0.5
    assert by_name["市场监管局"].substantiation_rate is None


async def test_findings_of_one_category_and_of_a_quarter(stats_db: StatsDb) -> None:
    absent = await load_measures(stats_db.sessions, PERIOD, as_of=AS_OF, category="absent")
    assert (absent.counts.substantiated, absent.counts.people_concerned) == (1, 2)
    quarter = Period.quarter(2025, 1, SHANGHAI)
    m = await load_measures(stats_db.sessions, quarter, as_of=AS_OF)
    assert (m.counts.substantiated, m.counts.people_concerned, m.counts.with_finding) == (3, 8, 4)
    ranking = await load_ranking(stats_db.sessions, quarter, as_of=AS_OF)
    dealt = {e.name: (e.measures.counts.substantiated, e.measures.counts.people_concerned)
             for e in ranking.entries}  # fmt: skip
    assert dealt == {"城管局": (2, 7), "交通局": (1, 1)}
