"""The update inbox: persist first, confirm to Telegram second, handle third.

Each user's updates are handled in order (a lane per user), different users in parallel
up to a concurrency bound, so one slow photo upload never stalls other citizens and two
presses of the same button are never interleaved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

import structlog
from aiogram.types import Update
from sqlalchemy import delete, select
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import InboxUpdate, utcnow

log = structlog.get_logger(__name__)
UpdateHandler = Callable[[Update], Awaitable[None]]


class Inbox:
    """Repository of received updates."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def store(self, updates: Iterable[Update]) -> list[Update]:
        """Persist updates not seen before; returns only the new ones."""
        batch = {u.update_id: u for u in updates}
        if not batch:
            return []
        async with self._sessions() as session, session.begin():
            seen = set(
                await session.scalars(
                    select(col(InboxUpdate.update_id)).where(col(InboxUpdate.update_id).in_(batch))
                )
            )
            fresh = [u for uid, u in batch.items() if uid not in seen]
            session.add_all(
                InboxUpdate(
                    update_id=u.update_id,
                    payload=u.model_dump(mode="json", exclude_none=True),
                )
                for u in fresh
            )
        return fresh

    async def pending(self) -> list[InboxUpdate]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(InboxUpdate)
                .where(col(InboxUpdate.handled_at).is_(None))
                .order_by(col(InboxUpdate.update_id))
            )
            return list(rows)

    async def mark_handled(self, update_id: int) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(InboxUpdate, update_id)
            if row is not None:
                row.handled_at = utcnow()

    async def purge(self, *, older_than: timedelta) -> None:
        """Forget handled updates; Telegram never redelivers after a day."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(InboxUpdate).where(col(InboxUpdate.handled_at) < utcnow() - older_than)
            )


def lane_key(update: Update) -> int:
    """Updates of one user (or, lacking one, one chat) are handled one after another."""
    event = update.event
    user = getattr(event, "from_user", None)
    if user is not None:
        return int(user.id)
    chat = getattr(event, "chat", None)
    return int(chat.id) if chat is not None else 0


class LaneScheduler:
    """Runs updates through `handle`: in order per lane, lanes in parallel (bounded)."""

    def __init__(self, handle: UpdateHandler, *, concurrency: int) -> None:
        self._handle = handle
        self._limit = asyncio.Semaphore(concurrency)
        self._lanes: dict[int, asyncio.Queue[Update]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, update: Update) -> None:
        key = lane_key(update)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = asyncio.Queue()
            task = asyncio.create_task(self._drain(key, lane), name=f"lane-{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.put_nowait(update)

    async def _drain(self, key: int, lane: asyncio.Queue[Update]) -> None:
        while not lane.empty():
            update = lane.get_nowait()
            async with self._limit:
                try:
                    await self._handle(update)
                except Exception:  # the lane must survive one bad update
                    log.exception("update_failed", update_id=update.update_id)
        del self._lanes[key]

    async def idle(self) -> None:
        """Wait until every submitted update is handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
