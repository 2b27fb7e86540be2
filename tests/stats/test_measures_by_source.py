"""The measures by source (来源) on generated data with known answers: source number `i`
(in `IntakeSource` order) received `i + 1` tickets in two departments, the first `(i + 1) // 2`
resolved on time and the rest left past their deadline. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from openpyxl import load_workbook

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.models import Reporter
from storage.stats import load_stats
from tests.factories import department_row, ticket_row
from tests.keys import TEST_KEYS
from tickets.measures import Period
from tickets.sources import IntakeSource
from ui.exports import export_xlsx

pytestmark = pytest.mark.asyncio(loop_scope="module")

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = Period.local_days(date(2025, 5, 5), date(2025, 5, 10), SHANGHAI)
AS_OF = datetime(2025, 6, 30, 12, tzinfo=SHANGHAI)
FILED = datetime(2025, 5, 6, 10, tzinfo=SHANGHAI)


def received(index: int) -> int:
    return index + 1


def on_time(index: int) -> int:
    return (index + 1) // 2


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def by_source(stats_url: str) -> AsyncIterator[tuple[SessionFactory, list[int]]]:
    engine = create_engine(stats_url, keys=TEST_KEYS)
    sessions = create_session_factory(engine)
    try:
        yield sessions, await generate(sessions)
    finally:
        await engine.dispose()


async def generate(sessions: SessionFactory) -> list[int]:
    """Insert the tickets; alternate departments so each holds a part of every source."""
    async with sessions() as session, session.begin():
        departments = [department_row("甲局"), department_row("乙局")]
        reporter = Reporter(channel_user_id=1)
        session.add_all([*departments, reporter])
        await session.flush()
        rows = []
        for index, source in enumerate(IntakeSource):
            for number in range(received(index)):
                done = number < on_time(index)
                rows.append(
                    ticket_row(
                        f"SR-{source}-{number}",
                        departments[number % 2].id or 0,
                        reporter.id or 0,
                        intake_source=str(source),
                        state="resolved" if done else "accepted",
                        created_at=FILED,
                        accept_by=FILED + timedelta(days=1),
                        accepted_at=FILED + timedelta(hours=1),
                        resolve_by=FILED + timedelta(days=7),
                        resolved_at=FILED + timedelta(days=2) if done else None,
                    )
                )
        session.add_all(rows)
    return [d.id or 0 for d in departments]


async def test_each_source_has_its_received_and_on_time_resolution(
    by_source: tuple[SessionFactory, list[int]],
) -> None:
    sessions, _ = by_source
    stats = await load_stats(sessions, PERIOD, as_of=AS_OF)
    found = {s.source: s.measures for s in stats.sources}
    assert set(found) == {str(s) for s in IntakeSource}
    for index, source in enumerate(IntakeSource):
        m = found[str(source)]
        assert (m.counts.received, m.counts.resolve_due, m.counts.resolved_on_time) == (
            received(index),
            received(index),
            on_time(index),
        ), source
        assert m.on_time_resolve_rate == pytest.approx(on_time(index) / received(index))
        assert m.on_time_accept_rate == 1.0
    # The busiest first: walk-ins (9) down to Telegram (1).
    assert [s.source for s in stats.sources] == [str(s) for s in reversed(IntakeSource)]
    assert sum(s.measures.counts.received for s in stats.sources) == (
        stats.overall.counts.received
    )


async def test_one_department_counts_only_its_share_of_each_source(
    by_source: tuple[SessionFactory, list[int]],
) -> None:
    sessions, (first, _) = by_source
    stats = await load_stats(sessions, PERIOD, as_of=AS_OF, department_id=first)
    found = {s.source: s.measures.counts for s in stats.sources}
    for index, source in enumerate(IntakeSource):
        # Even-numbered tickets went to the first department; the early ones were on time.
        numbers = range(0, received(index), 2)
        assert found[str(source)].received == len(numbers)
        assert found[str(source)].resolved_on_time == sum(n < on_time(index) for n in numbers)


async def test_the_export_has_a_sheet_by_source(
    by_source: tuple[SessionFactory, list[int]],
) -> None:
    sessions, _ = by_source
    stats = await load_stats(sessions, PERIOD, as_of=AS_OF)
    data = export_xlsx([], tr=str, sources=stats.sources)
    sheet = load_workbook(io.BytesIO(data))["Measures by source"]
    rows = list(sheet.values)
    assert rows[0][:2] == ("Source", "Received")
    assert rows[1][:2] == ("Walk-in", 9) and rows[-1][:2] == ("Telegram", 1)
    assert rows[1][4] == pytest.approx(4 / 9)  # on-time resolution of the walk-ins
