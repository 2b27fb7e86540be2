"""The figures a dashboard was just drawn from, kept a minute for its chart images.

A dashboard view is one page and four chart images, each image a request of its own; at a
million tickets a quarter's figures take a second or more to compute, so computing them
per request made one view cost five. The page computes them once and each chart request
that follows within `MAX_AGE` reuses them: the charts then show the page's figures, not
a second later's. An administrator's ranking is computed from the quarter's figures the
same way, so a quarter's page computes them once for both. The page itself always
computes afresh (a reload after a change shows it). Concurrent requests for the same
figures wait for one computation.
Kept per console application (one per replica), bounded, keyed by exactly what decides
the figures (period and department), after the request's scope has been checked.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web

from tickets.measures import Period
from tickets.records import Stats

MAX_AGE = timedelta(minutes=1)
MOST = 16  # distinct (period, department) figures kept

Key = tuple[datetime, datetime, int | None]


class RecentStats:
    """Stats by (period, department), reused while younger than `MAX_AGE`."""

    def __init__(self, *, max_age: timedelta = MAX_AGE, most: int = MOST) -> None:
        self._max_age = max_age
        self._most = most
        self._kept: OrderedDict[Key, tuple[datetime, asyncio.Future[Stats]]] = OrderedDict()

    async def get(
        self,
        period: Period,
        department_id: int | None,
        *,
        now: datetime,
        compute: Callable[[], Awaitable[Stats]],
        reuse: bool = True,
    ) -> Stats:
        """The figures computed at most `MAX_AGE` before `now` (with `reuse`), or `compute`d
        now and kept for the requests that follow."""
        key = (period.start, period.end, department_id)
        kept = self._kept.get(key)
        if reuse and kept is not None and kept[0] <= now < kept[0] + self._max_age:
            return await asyncio.shield(kept[1])
        computing = asyncio.ensure_future(compute())
        self._kept[key] = (now, computing)
        self._kept.move_to_end(key)
        while len(self._kept) > self._most:
            self._kept.popitem(last=False)
        try:
            return await asyncio.shield(computing)
        except BaseException:
            # A failure is not kept: the next request computes again.
            if self._kept.get(key, (None, None))[1] is computing:
                del self._kept[key]
            raise


RECENT_STATS: web.AppKey[RecentStats] = web.AppKey("console_recent_stats", RecentStats)
