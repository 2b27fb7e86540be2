"""The update inbox: persist first, confirm to Telegram second, handle third.

Each user's updates are handled in order (a lane per user), different users in parallel
up to a concurrency bound, so one slow photo upload never stalls other citizens and two
presses of the same button are never interleaved. Each stored update records its lane's
keyed hash, so that with several replicas the one holding a lane's lock (`bot.lanelock`)
finds the lane's older unhandled updates, whichever replica stored them. An update is marked
handled in the last commit of its own unit of work (`InboxReceipt`): its effects and the mark
are durable together or not at all, and a handled update costs no write transaction of its
own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass

import structlog
from aiogram.types import Update
from sqlalchemy import or_, select
from sqlalchemy import update as update_rows
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from config.tasks import end_tasks
from storage.db import SessionFactory
from storage.identity import keys_of
from storage.models import InboxUpdate, utcnow

log = structlog.get_logger(__name__)
UpdateHandler = Callable[[Update], Awaitable[None]]
LaneHold = Callable[[Update], AbstractAsyncContextManager[None]]
# Failed handlings after which an update is set aside instead of replayed again.
QUARANTINE_AFTER = 3


class Inbox:
    """Repository of received updates."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def store(self, updates: Iterable[Update]) -> list[Update]:
        """Persist updates not seen before; returns only the new ones."""
        batch = {u.update_id: u for u in updates}
        if not batch:
            return []
        try:
            return await self._store_new(batch)
        except IntegrityError:
            # The same update stored meanwhile by a concurrent delivery (a webhook retry
            # while the first call is still in flight): read again, it is seen now.
            return await self._store_new(batch)

    async def _store_new(self, batch: dict[int, Update]) -> list[Update]:
        async with self._sessions() as session, session.begin():
            seen = set(
                await session.scalars(
                    select(col(InboxUpdate.update_id)).where(col(InboxUpdate.update_id).in_(batch))
                )
            )
            fresh = [u for uid, u in batch.items() if uid not in seen]
            keys = keys_of(session)
            session.add_all(
                InboxUpdate(
                    update_id=u.update_id,
                    payload=u.model_dump(mode="json", exclude_none=True),
                    lane_hash=keys.lookup_hash(lane_key(u)),
                )
                for u in fresh
            )
        return fresh

    async def pending_in_lane(self, lane_hash: str, *, upto: int) -> list[InboxUpdate]:
        """The lane's unhandled updates with ids up to `upto`, oldest first (`upto` itself
        whatever its lane: a row stored before lanes were recorded has none)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(InboxUpdate)
                .where(
                    or_(
                        col(InboxUpdate.lane_hash) == lane_hash,
                        col(InboxUpdate.update_id) == upto,
                    ),
                    col(InboxUpdate.handled_at).is_(None),
                    col(InboxUpdate.quarantined_at).is_(None),
                    col(InboxUpdate.update_id) <= upto,
                )
                .order_by(col(InboxUpdate.update_id))
            )
            return list(rows)

    async def pending(self, *, after: int = 0, limit: int = 100) -> list[InboxUpdate]:
        """Up to `limit` unhandled updates with ids above `after`, in `update_id` order."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(InboxUpdate)
                .where(
                    col(InboxUpdate.handled_at).is_(None),
                    col(InboxUpdate.quarantined_at).is_(None),
                    col(InboxUpdate.update_id) > after,
                )
                .order_by(col(InboxUpdate.update_id))
                .limit(limit)
            )
            return list(rows)

    async def set_aside_failing(self, rows: Sequence[InboxUpdate]) -> list[InboxUpdate]:
        """Quarantine those of `rows` whose handling has failed `QUARANTINE_AFTER` times
        (the first handling and each replay begun) and return them; replay the others."""
        failing = [r.update_id for r in rows if r.attempts + 1 >= QUARANTINE_AFTER]
        if not failing:
            return []
        async with self._sessions() as session, session.begin():
            set_aside = list(
                await session.scalars(
                    select(InboxUpdate).where(col(InboxUpdate.update_id).in_(failing))
                )
            )
            for row in set_aside:
                row.quarantined_at = utcnow()
        return set_aside

    async def begin_replay(self, update_id: int) -> None:
        """Count a replay of `update_id` as begun: if it never ends, the next start knows."""
        async with self._sessions() as session, session.begin():
            row = await session.get(InboxUpdate, update_id)
            if row is not None:
                row.attempts += 1

    async def mark_handled(self, update_id: int) -> None:
        """Record the update as handled on a transaction of its own (see `mark_handled_on`)."""
        async with self._sessions() as session, session.begin():
            await mark_handled_on(session, update_id)


async def mark_handled_on(session: AsyncSession, update_id: int) -> None:
    """Record the update as handled and delete its content at once, on `session`.

    The raw update holds names, usernames and shared phones; only its id is kept (until
    the retention purge) so that a redelivery is recognised and handled once.
    """
    await session.execute(
        update_rows(InboxUpdate)
        .where(col(InboxUpdate.update_id) == update_id)
        .values(handled_at=utcnow(), payload={})
    )


@dataclass
class InboxReceipt:
    """Hands the update's unit of work its inbox row, to mark handled in its last commit.

    `DbSessionMiddleware` writes the mark with the handler's effects, one transaction for
    both; `marked` says it committed. A handler that raised rolled the mark back with the rest
    (`marked` stays False), and the caller marks the update handled on its own.
    """

    update_id: int
    marked: bool = False


def lane_key(update: Update) -> int:
    """Updates of one user (or, lacking one, one chat) are handled one after another."""
    event = update.event
    user = getattr(event, "from_user", None)
    if user is not None:
        return int(user.id)
    chat = getattr(event, "chat", None)
    return int(chat.id) if chat is not None else 0


class LaneScheduler:
    """Runs updates through `handle`: in order per lane, lanes in parallel (bounded).

    `hold`, if given, is entered around each handling before a concurrency slot is taken:
    the cross-replica lane lock (`bot.lanelock`), so waiting for another replica never
    holds a slot.
    """

    def __init__(
        self, handle: UpdateHandler, *, concurrency: int, hold: LaneHold | None = None
    ) -> None:
        self._handle = handle
        self._hold = hold
        self._limit = asyncio.Semaphore(concurrency)
        self._lanes: dict[int, asyncio.Queue[Update]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.backlog = 0  # submitted, not yet handled
        self._progress = asyncio.Event()

    def submit(self, update: Update) -> None:
        key = lane_key(update)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = asyncio.Queue()
            task = asyncio.create_task(self._drain(key, lane), name=f"lane-{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.put_nowait(update)
        self.backlog += 1

    def busy(self, key: int) -> bool:
        """Whether the lane `key` (a user, see `lane_key`) has an update in hand or queued."""
        return key in self._lanes

    async def backlog_below(self, limit: int) -> None:
        """Wait until fewer than `limit` submitted updates are still to be handled."""
        while self.backlog >= limit:
            self._progress.clear()
            await self._progress.wait()

    async def _drain(self, key: int, lane: asyncio.Queue[Update]) -> None:
        while not lane.empty():
            update = lane.get_nowait()
            try:
                async with AsyncExitStack() as held:
                    if self._hold is not None:
                        await held.enter_async_context(self._hold(update))
                    async with self._limit:
                        await self._handle(update)
            except Exception:  # the lane must survive one bad update
                log.exception("update_failed", update_id=update.update_id)
            finally:
                self.backlog -= 1
                self._progress.set()
        del self._lanes[key]

    async def idle(self) -> None:
        """Wait until every submitted update is handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await end_tasks(self._tasks)


@dataclass
class ReceiveHealth:
    """Whether updates can still be received: storing them in the inbox keeps failing or not.

    One storage failure is a hiccup (SQLite busy, a PostgreSQL failover): back off and retry.
    `max_failures` in a row spread over at least `budget` seconds is an outage this process
    will not recover from by itself; it should exit and let its supervisor start a fresh one.
    """

    max_failures: int = 10
    budget: float = 120.0
    failures: int = 0
    failing_since: float | None = None

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def succeeded(self) -> None:
        self.failures, self.failing_since = 0, None

    def failed(self, error: BaseException, now: float) -> None:
        """Count a failure (one log line, no traceback); raise `ReceiveStalled` past budget."""
        self.failures += 1
        if self.failing_since is None:
            self.failing_since = now
        log.warning("receive_failed", error=type(error).__name__, failures=self.failures)
        if self.failures >= self.max_failures and now - self.failing_since >= self.budget:
            raise ReceiveStalled(
                f"updates could not be stored {self.failures} times in a row over "
                f"{now - self.failing_since:.0f} s (last: {type(error).__name__})"
            ) from error


class ReceiveStalled(RuntimeError):
    """The inbox cannot store updates: the process must exit rather than answer nobody."""
