"""aiogram FSM storage on the database, so a half-written report survives a restart.

Inside an update, state is read and written through the update's own session (the current
`storage.unit_of_work.UnitOfWork`): a step's state and its effect commit together when the
update does, or roll back together when its handler raises, and each update holds one
connection. Outside an update (a background task the handler spawned, a scheduler job, a
test) each call is its own short transaction on the storage's fallback sessions. Rows are
stamped with the injected clock, the same one the draft-expiry job measures age with.
Writes to one key are serialised in the process, and `update_data` reads and writes under
one row lock, so a background task (the album panel) and the next update of the same chat
cannot lose each other's changes. An update holds the key's lock from its first write until
its transaction ends (as a database holds a row lock), so a background task never merges
into data the update has written but not yet committed; should the update have to wait for
such a task, it commits what it wrote so far first, or the task would wait for SQLite's
write lock while the update waits for the task. A row is keyed by `fsm_row_key`: the
storage key with its chat and user ids replaced by their keyed hashes, so the table names
nobody; the original key is kept encrypted beside it for the work a restart resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.identity import IdentityKeys, keys_of
from storage.media import MediaStore
from storage.models import Evidence, FsmRecord, PraisePhoto
from storage.unit_of_work import CURRENT_UNIT, UnitOfWork, commit_current_unit
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


def fsm_row_key(keys: IdentityKeys, key: StorageKey) -> str:
    """The `fsm_record.key` of `key`: its chat and user ids as keyed hashes."""
    parts = storage_key_to_str(key).split(":")
    parts[1] = keys.lookup_hash(key.chat_id)
    parts[2] = keys.lookup_hash(key.user_id)
    return ":".join(parts)


def storage_key_from_str(text: str) -> StorageKey:
    """The `StorageKey` a `storage_key_to_str` string was made from."""
    bot_id, chat_id, user_id, thread_id, business, destiny = text.split(":", 5)
    return StorageKey(
        bot_id=int(bot_id),
        chat_id=int(chat_id),
        user_id=int(user_id),
        thread_id=int(thread_id) if thread_id else None,
        business_connection_id=business or None,
        destiny=destiny,
    )


class _KeyLocks:
    """One asyncio.Lock per key, dropped again when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def acquire(self, key: str) -> Callable[[], None]:
        """Wait for `key`'s lock; return the function that lets it go."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._drop(key)
            raise

        def release() -> None:
            lock.release()
            self._drop(key)

        return release

    def _drop(self, key: str) -> None:
        lock, users = self._locks[key]
        if users == 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        release = await self.acquire(key)
        try:
            yield
        finally:
            release()

    async def hold_for(self, unit: UnitOfWork, key: str) -> None:
        """Hold `key` until `unit` ends (`UnitOfWork.release`); at once if it holds it."""
        if key in unit.held:
            return
        lock = self._locks.get(key)
        if lock is not None and lock[0].locked():
            await commit_current_unit()  # the holder may be waiting for our write lock
        unit.held[key] = await self.acquire(key)


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `fsm_record` table, on the update's unit of work."""

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
    def with_own_pool(
        cls, url: str, *, keys: IdentityKeys, clock: Clock | None = None
    ) -> DatabaseStorage:
        """A storage whose fallback sessions have their own pool, closed with the Dispatcher.

        Inside an update the FSM uses the update's session, so an update needs one
        connection, not two, and N concurrent updates at the main pool's size can no longer
        all wait for an (N+1)th. The fallback, for calls outside an update (a task a
        handler spawned may run while its update still holds a connection), keeps a pool
        of its own so that it never waits for the main one.
        """
        engine = create_engine(url, keys=keys)
        return cls(create_session_factory(engine), clock=clock, owned_engine=engine)

    @property
    def owned_engine(self) -> AsyncEngine | None:
        """The storage's own pool, if it has one (to instrument it like the main one)."""
        return self._owned_engine

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, lambda record: {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, lambda record: {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(key)
        return dict(record.data) if record else {}

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}

        def merge(record: FsmRecord | None) -> dict[str, Any]:
            merged.update(record.data if record else {})
            merged.update(data)
            return {"data": dict(merged)}

        await self._write(key, merge)
        return merged

    async def keys_with(
        self, *, state: str, field: str
    ) -> list[tuple[StorageKey, dict[str, Any]]]:
        """The keys in `state` whose data has `field` set: work a restart must pick up."""
        async with self._sessions() as session:
            records = await session.scalars(select(FsmRecord).where(col(FsmRecord.state) == state))
            return [
                (storage_key_from_str(record.storage_key), dict(record.data))
                for record in records
                if record.data.get(field) and record.storage_key
            ]

    async def close(self) -> None:
        """Dispose of the storage's own pool; a shared engine is the composition root's."""
        if self._owned_engine is not None:
            await self._owned_engine.dispose()

    @staticmethod
    def _unit() -> UnitOfWork | None:
        """The update being handled, if this task is the one handling it."""
        unit = CURRENT_UNIT.get()
        return unit if unit is not None and unit.commit_allowed() else None

    async def _get(self, key: StorageKey) -> FsmRecord | None:
        unit = self._unit()
        if unit is not None:
            row_key = fsm_row_key(keys_of(unit.session), key)
            return await unit.session.get(FsmRecord, row_key, populate_existing=True)
        async with self._locks.hold(storage_key_to_str(key)), self._sessions() as session:
            return await session.get(FsmRecord, fsm_row_key(keys_of(session), key))

    async def _write(
        self, key: StorageKey, change: Callable[[FsmRecord | None], dict[str, Any]]
    ) -> None:
        """Apply `change(current record) -> {field: value}` to a key under its locks."""
        lock_key = storage_key_to_str(key)  # in memory only: the plain key names nobody
        unit = self._unit()
        if unit is not None:
            await self._locks.hold_for(unit, lock_key)  # until the update commits or rolls back
            await self._apply(unit.session, key, change)
            return
        async with self._locks.hold(lock_key), self._sessions() as session, session.begin():
            await self._apply(session, key, change)

    async def _apply(
        self,
        session: AsyncSession,
        key: StorageKey,
        change: Callable[[FsmRecord | None], dict[str, Any]],
    ) -> None:
        """Apply the change on `session`, flushed so that session reads it at once."""
        row_key = fsm_row_key(keys_of(session), key)
        stored = await session.scalar(
            select(FsmRecord).where(col(FsmRecord.key) == row_key).with_for_update()
        )
        record = stored or FsmRecord(key=row_key, storage_key=storage_key_to_str(key))
        for name, value in change(stored).items():
            setattr(record, name, value)
        record.updated_at = self._clock.now()
        if record.state is None and not record.data:
            # An empty record is the same as none: keep the table small.
            if stored is not None:
                await session.delete(stored)
                await session.flush()
            return
        if stored is None:
            session.add(record)
        await session.flush()


DRAFT_STATE_PREFIX = "ReportDraft:"
# Every citizen draft that holds photos: a report's, and a praise's (`handlers.praise`).
DRAFT_STATE_PREFIXES = (DRAFT_STATE_PREFIX, "PraiseDraft:")


def is_draft_state() -> ColumnElement[bool]:
    """The condition on `fsm_record` for a citizen's draft in progress (photos and all)."""
    return or_(*(col(FsmRecord.state).startswith(prefix) for prefix in DRAFT_STATE_PREFIXES))


def draft_photo_shas(data: Mapping[str, Any]) -> set[str]:
    """The sha256 of every photo a report draft's FSM data lists."""
    return _draft_hashes(data, "sha256")


def draft_original_shas(data: Mapping[str, Any]) -> set[str]:
    """The sha256 of every sealed original upload a report draft's FSM data lists."""
    return _draft_hashes(data, "original_sha256")


def _draft_hashes(data: Mapping[str, Any], field: str) -> set[str]:
    photos = data.get("photos")
    if not isinstance(photos, list):
        return set()
    return {
        photo[field]
        for photo in photos
        if isinstance(photo, dict) and isinstance(photo.get(field), str)
    }


@dataclass(frozen=True)
class UnusedFiles:
    """Files nothing uses any more: stripped photos and sealed originals, by sha256."""

    photos: frozenset[str] = frozenset()
    originals: frozenset[str] = frozenset()

    def __or__(self, other: UnusedFiles) -> UnusedFiles:
        return UnusedFiles(self.photos | other.photos, self.originals | other.originals)

    def __len__(self) -> int:
        return len(self.photos) + len(self.originals)


async def unused_draft_files(
    session: AsyncSession, drafts: Iterable[Mapping[str, Any]], *, ignore_draft: object = None
) -> UnusedFiles:
    """The files of `drafts` that no ticket's evidence and no live draft uses."""
    drafts = list(drafts)
    candidates = UnusedFiles(
        frozenset().union(*(draft_photo_shas(data) for data in drafts)),
        frozenset().union(*(draft_original_shas(data) for data in drafts)),
    )
    return await unused_files(session, candidates, ignore_draft=ignore_draft)


async def unused_files(
    session: AsyncSession, candidates: UnusedFiles, *, ignore_draft: object = None
) -> UnusedFiles:
    """Those of `candidates` that no ticket's evidence, praise and live draft uses.

    Files are content-addressed, so the same picture may be evidence of a filed ticket or
    sit in someone else's draft. `ignore_draft`: a draft id whose live row does not count.
    """
    photos, originals = set(candidates.photos), set(candidates.originals)
    if not photos and not originals:
        return UnusedFiles()
    photos -= set(
        await session.scalars(select(col(Evidence.sha256)).where(col(Evidence.sha256).in_(photos)))
    )
    originals -= set(
        await session.scalars(
            select(col(Evidence.original_sha256)).where(
                col(Evidence.original_sha256).in_(originals)
            )
        )
    )
    photos -= set(
        await session.scalars(
            select(col(PraisePhoto.sha256)).where(col(PraisePhoto.sha256).in_(photos))
        )
    )
    originals -= set(
        await session.scalars(
            select(col(PraisePhoto.original_sha256)).where(
                col(PraisePhoto.original_sha256).in_(originals)
            )
        )
    )
    live = await session.scalars(select(FsmRecord).where(is_draft_state()))
    # By draft id, not by absence: a SQLite read snapshot older than the clear still has it.
    for record in live:
        if ignore_draft is not None and record.data.get("draft_id") == ignore_draft:
            continue
        photos -= draft_photo_shas(record.data)
        originals -= draft_original_shas(record.data)
    return UnusedFiles(frozenset(photos), frozenset(originals))


async def delete_unused(media: MediaStore, unused: UnusedFiles) -> int:
    """Delete those files from the media store (a failure is logged and skipped); how many."""
    deleted = 0
    jobs = [(media.delete, sha) for sha in sorted(unused.photos)]
    jobs += [(media.delete_original, sha) for sha in sorted(unused.originals)]
    for remove, sha in jobs:
        try:
            await asyncio.to_thread(remove, sha)
        except (OSError, ValueError):
            log.warning("draft_media_not_deleted", sha256=sha[:12])
            continue
        deleted += 1
    return deleted


async def release_draft_photos(
    session: AsyncSession, media: MediaStore, data: Mapping[str, Any]
) -> int:
    """Delete the photos (and sealed originals) of a discarded draft that nothing else uses."""
    unused = await unused_draft_files(session, [data], ignore_draft=data.get("draft_id"))
    return await delete_unused(media, unused)


class DraftPhotos:
    """`tickets.ports.Drafts` on the update's session and the media store."""

    def __init__(self, session: AsyncSession, media: MediaStore) -> None:
        self._session = session
        self._media = media

    async def release_photos(self, data: Mapping[str, Any]) -> int:
        return await release_draft_photos(self._session, self._media, data)
