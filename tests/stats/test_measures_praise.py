"""Praise (表扬) counts on a generated data set whose answer is known by construction.

The period is the local week Monday 2025-03-03 to Sunday 2025-03-09 (Asia/Shanghai). Every
unit gets a number of praises inside the week (one on its very first instant, one on its
very last second), and decoys just outside it: one a second before (Sunday 23:59:59), one
at Monday 07:30 of the next week (still Sunday in UTC). Tickets sit beside them so the
ranking has figures to rank: praise changes no rate and no score.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import pytest_asyncio

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.models import Praise, Reporter
from storage.stats import load_department_measures, load_measures, load_ranking, load_stats
from tests.factories import department_row, ticket_row
from tests.keys import TEST_KEYS
from tests.stats.dataset import AS_OF, PERIOD, sh
from ui.exports import DEPARTMENT_HEADERS, _department_values

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEED = 20250303
UNITS = ("城管局", "交通局", "市场监管局", "税务局")


@dataclass(frozen=True)
class PraiseDb:
    sessions: SessionFactory
    ids: dict[str, int]
    expected: dict[str, int]  # praises inside the week, by unit


def _inside(rng: random.Random) -> datetime:
    """A random instant inside the week, to the second."""
    seconds = rng.randrange(int((PERIOD.end - PERIOD.start).total_seconds()))
    return PERIOD.start + timedelta(seconds=seconds)


async def _build(sessions: SessionFactory) -> PraiseDb:
    rng = random.Random(SEED)
    async with sessions() as session, session.begin():
        departments = {name: department_row(name) for name in UNITS}
        session.add_all(departments.values())
        reporters = [Reporter(channel="telegram", channel_user_id=880_000 + i) for i in range(4)]
        session.add_all(reporters)
        await session.flush()
        ids = {name: d.id or 0 for name, d in departments.items()}
        expected = {name: rng.randrange(0, 7) for name in UNITS}
        expected["城管局"] += 2  # the week's first instant and its last second, below
        rows: list[tuple[str, datetime]] = []
        for name, count in expected.items():
            inside = 2 if name == "城管局" else 0
            rows += [(name, _inside(rng)) for _ in range(count - inside)]
        rows += [("城管局", PERIOD.start), ("城管局", PERIOD.end - timedelta(seconds=1))]
        rows += [("交通局", sh(3, 2, 23, 59, 59)), ("税务局", sh(3, 10, 7, 30))]  # outside
        rng.shuffle(rows)
        session.add_all(
            Praise(
                submit_key=f"praise-{n}",
                department_id=ids[name],
                description="窗口服务热情周到",
                reporter_id=rng.choice(reporters).id or 0,
                created_at=at,
            )
            for n, (name, at) in enumerate(rows)
        )
        # Figures to rank 城管局 and 交通局 by (one on time, one late, none reopened):
        # 1.0 and 0.2 of 0.7 of the weights; praise moves neither.
        for code, unit, on_time in (("SR-P1", "城管局", True), ("SR-P2", "交通局", False)):
            session.add(
                ticket_row(
                    code,
                    ids[unit],
                    reporters[0].id or 0,
                    category="absent",
                    state="resolved",
                    created_at=sh(3, 4, 10),
                    accept_by=sh(3, 5, 18),
                    accepted_at=sh(3, 4, 11),
                    resolve_by=sh(3, 6, 18),
                    resolved_at=sh(3, 6, 10) if on_time else sh(3, 7, 10),
                )
            )
    return PraiseDb(sessions, ids, expected)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def praise_db(stats_url: str) -> AsyncIterator[PraiseDb]:
    engine = create_engine(stats_url, keys=TEST_KEYS)
    sessions = create_session_factory(engine)
    try:
        yield await _build(sessions)
    finally:
        await engine.dispose()


async def test_praises_are_counted_per_unit_inside_the_period_only(praise_db: PraiseDb) -> None:
    departments = await load_department_measures(praise_db.sessions, PERIOD, as_of=AS_OF)
    counted = {d.name: d.measures.counts.praises for d in departments}
    assert counted == praise_db.expected
    overall = await load_measures(praise_db.sessions, PERIOD, as_of=AS_OF)
    assert overall.counts.praises == sum(praise_db.expected.values())
    assert overall.counts.received == 2  # praises are not tickets


async def test_one_units_view_and_a_category_view(praise_db: PraiseDb) -> None:
    city = praise_db.ids["城管局"]
    mine = await load_stats(praise_db.sessions, PERIOD, as_of=AS_OF, department_id=city)
    assert mine.overall.counts.praises == praise_db.expected["城管局"]
    assert [d.measures.counts.praises for d in mine.departments] == [praise_db.expected["城管局"]]
    absent = await load_measures(praise_db.sessions, PERIOD, as_of=AS_OF, category="absent")
    assert absent.counts.praises == 0  # a praise has no category


async def test_praise_stands_beside_the_ranking_and_moves_no_score(praise_db: PraiseDb) -> None:
    ranking = await load_ranking(praise_db.sessions, PERIOD, as_of=AS_OF)
    assert [(e.name, e.score) for e in ranking.entries] == [
        ("城管局", 1.0),
        ("交通局", round(0.2 / 0.7, 6)),
    ]
    shown = {e.name: e.measures.counts.praises for e in ranking.entries}
    shown |= {d.name: d.measures.counts.praises for d in ranking.unranked}
    assert shown == praise_db.expected


async def test_the_export_has_a_praise_column_last(praise_db: PraiseDb) -> None:
    departments = await load_department_measures(praise_db.sessions, PERIOD, as_of=AS_OF)
    assert DEPARTMENT_HEADERS[-1] == "Praises received"
    rows = {d.name: _department_values(d) for d in departments}
    assert {name: row[-1] for name, row in rows.items()} == praise_db.expected
