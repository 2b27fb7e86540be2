"""aiogram FSM storage on the database, so a half-written report survives a restart.

Each call is its own short transaction: FSM state is conversation progress, not ticket
data, and must be durable the moment a step is answered. Rows are stamped with the
injected clock, the same one the draft-expiry job measures age with. Writes to one key
are serialised in the process, and `update_data` reads and writes in one transaction, so
a background task (the album panel) and the next update of the same chat cannot lose
each other's changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import structlog
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.media import MediaStore
from storage.models import Evidence, FsmRecord
from storage.unit_of_work import commit_current_unit
from tickets.clock import Clock, SystemClock

log = structlog.get_logger(__name__)


def storage_key_to_str(key: StorageKey) -> str:
    parts = [
        str(key.bot_id),
        str(key.chat_id),
        str(key.user_id),
        str(key.thread_id or ""),
        key.business_connection_id or "",
        key.destiny,
    ]
    return ":".join(parts)


class _KeyLocks:
    """One asyncio.Lock per key, dropped again when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `fsm_record` table."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        clock: Clock | None = None,
        owned_engine: AsyncEngine | None = None,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock or SystemClock()
        self._locks = _KeyLocks()
        self._owned_engine = owned_engine

    @classmethod
    def with_own_pool(cls, url: str, *, clock: Clock | None = None) -> DatabaseStorage:
        """A storage on its own connection pool, closed with the Dispatcher.

        Every update holds a connection of the main pool for as long as it is handled (the
        unit of work), and aiogram reads and writes FSM state in the middle of it. Sharing
        the pool, N concurrent updates at the pool's size all wait for an (N+1)th
        connection that never frees up: a pool-timeout deadlock under load.
        """
        engine = create_engine(url)
        return cls(create_session_factory(engine), clock=clock, owned_engine=engine)

    @property
    def owned_engine(self) -> AsyncEngine | None:
        """The storage's own pool, if it has one (to instrument it like the main one)."""
        return self._owned_engine

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(storage_key_to_str(key), lambda record: {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(storage_key_to_str(key))
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(storage_key_to_str(key), lambda record: {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(storage_key_to_str(key))
        return dict(record.data) if record else {}

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}

        def merge(record: FsmRecord | None) -> dict[str, Any]:
            merged.update(record.data if record else {})
            merged.update(data)
            return {"data": dict(merged)}

        await self._write(storage_key_to_str(key), merge)
        return merged

    async def close(self) -> None:
        """Dispose of the storage's own pool; a shared engine is the composition root's."""
        if self._owned_engine is not None:
            await self._owned_engine.dispose()

    async def _get(self, key: str) -> FsmRecord | None:
        async with self._sessions() as session:
            return await session.get(FsmRecord, key)

    async def _write(self, key: str, change: Callable[[FsmRecord | None], dict[str, Any]]) -> None:
        """Apply `change(current record) -> {field: value}` to a key in one transaction."""
        # This connection is not the update's: if the update's session held SQLite's write
        # lock, this write would wait for it until the busy timeout while the update waits
        # for this write. Commit it first (effect before conversation progress, as handlers
        # that commit by hand already do).
        await commit_current_unit()
        async with self._locks.hold(key), self._sessions() as session, session.begin():
            stored = await session.scalar(
                select(FsmRecord).where(col(FsmRecord.key) == key).with_for_update()
            )
            record = stored or FsmRecord(key=key)
            for name, value in change(stored).items():
                setattr(record, name, value)
            record.updated_at = self._clock.now()
            if record.state is None and not record.data:
                # An empty record is the same as none: keep the table small.
                if stored is not None:
                    await session.delete(stored)
                return
            if stored is None:
                session.add(record)


DRAFT_STATE_PREFIX = "ReportDraft:"


def draft_photo_shas(data: Mapping[str, Any]) -> set[str]:
    """The sha256 of every photo a report draft's FSM data lists."""
    photos = data.get("photos")
    if not isinstance(photos, list):
        return set()
    return {
        photo["sha256"]
        for photo in photos
        if isinstance(photo, dict) and isinstance(photo.get("sha256"), str)
    }


async def release_draft_photos(
    session: AsyncSession, media: MediaStore, data: Mapping[str, Any]
) -> int:
    """Delete the photos of a discarded draft that no ticket and no live draft uses.

    Files are content-addressed, so the same picture may be evidence of a filed ticket or
    sit in someone else's draft.
    """
    candidates = draft_photo_shas(data)
    if not candidates:
        return 0
    in_evidence = set(
        await session.scalars(
            select(col(Evidence.sha256)).where(col(Evidence.sha256).in_(candidates))
        )
    )
    live = await session.scalars(
        select(FsmRecord).where(col(FsmRecord.state).startswith(DRAFT_STATE_PREFIX))
    )
    # By draft id, not by absence: a SQLite read snapshot older than the clear still has it.
    others = (r for r in live if r.data.get("draft_id") != data.get("draft_id"))
    in_drafts = set().union(*(draft_photo_shas(record.data) for record in others))
    deleted = 0
    for sha in sorted(candidates - in_evidence - in_drafts):
        try:
            await asyncio.to_thread(media.delete, sha)
        except (OSError, ValueError):
            log.warning("draft_media_not_deleted", sha256=sha[:12])
            continue
        deleted += 1
    return deleted
