"""The console's dashboard computes a period's figures once for its page and its charts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from console.recent_stats import RecentStats
from tickets.measures import Period
from tickets.records import Stats

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
QUARTER = Period.quarter(2026, 4)
MONTH = Period.month_of(NOW.date())


class Figures:
    """Counts the computations; each returns a new value, so reuse is visible."""

    def __init__(self) -> None:
        self.computed = 0
        self.release = asyncio.Event()
        self.release.set()

    async def compute(self) -> Stats:
        self.computed += 1
        await self.release.wait()
        return cast(Stats, f"figures #{self.computed}")


async def test_the_charts_reuse_the_pages_figures_for_a_minute() -> None:
    recent, figures = RecentStats(max_age=timedelta(minutes=1)), Figures()
    page = await recent.get(QUARTER, 3, now=NOW, compute=figures.compute, reuse=False)
    for seconds in (0, 30, 59):
        chart = await recent.get(
            QUARTER, 3, now=NOW + timedelta(seconds=seconds), compute=figures.compute
        )
        assert chart == page
    assert figures.computed == 1
    later = await recent.get(QUARTER, 3, now=NOW + timedelta(minutes=1), compute=figures.compute)
    assert later != page and figures.computed == 2


async def test_a_page_always_computes_afresh_and_its_charts_follow_it() -> None:
    recent, figures = RecentStats(), Figures()
    first = await recent.get(QUARTER, None, now=NOW, compute=figures.compute, reuse=False)
    reloaded = await recent.get(QUARTER, None, now=NOW, compute=figures.compute, reuse=False)
    assert first != reloaded
    assert await recent.get(QUARTER, None, now=NOW, compute=figures.compute) == reloaded


async def test_other_periods_and_departments_are_other_figures() -> None:
    recent, figures = RecentStats(), Figures()
    everyone = await recent.get(QUARTER, None, now=NOW, compute=figures.compute)
    assert await recent.get(QUARTER, 3, now=NOW, compute=figures.compute) != everyone
    assert await recent.get(MONTH, None, now=NOW, compute=figures.compute) != everyone
    assert figures.computed == 3


async def test_charts_asking_at_once_wait_for_one_computation() -> None:
    recent, figures = RecentStats(), Figures()
    figures.release.clear()
    charts = [
        asyncio.create_task(recent.get(QUARTER, 3, now=NOW, compute=figures.compute))
        for _ in range(4)
    ]
    await asyncio.sleep(0)
    figures.release.set()
    assert len(set(await asyncio.gather(*charts))) == 1
    assert figures.computed == 1


async def test_a_failure_is_not_kept() -> None:
    recent, figures = RecentStats(), Figures()

    async def broken() -> Stats:
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError):
        await recent.get(QUARTER, 3, now=NOW, compute=broken)
    assert await recent.get(QUARTER, 3, now=NOW, compute=figures.compute) == cast(
        Stats, "figures #1"
    )


async def test_only_the_most_recent_figures_are_kept() -> None:
    recent, figures = RecentStats(most=2), Figures()
    for department in (1, 2, 3):
        await recent.get(QUARTER, department, now=NOW, compute=figures.compute)
    await recent.get(QUARTER, 3, now=NOW, compute=figures.compute)
    assert figures.computed == 3
    await recent.get(QUARTER, 1, now=NOW, compute=figures.compute)
    assert figures.computed == 4
