"""One SQLite writer at a time per process, queued fairly instead of by SQLite's busy handler.

SQLite has one write lock per database. A connection that finds it taken sleeps in SQLite's
busy handler (1, 2, 5, 10 … up to 100 ms at a time, then again) and retries, so under
load a writer sleeps past the moment the lock is freed and a later one takes it first.
Measured in `bench.intake_bench` (10 citizens, 2 cores): a write transaction held the lock
3.6 ms at the median and 82 ms at the most, yet its first write waited 332 ms at p95 and
1.2 s at the most. Every update writes (its inbox mark at least), so those sleeps were
what a reply waited for while albums arrived.

`serialize_writers` makes a connection take an asyncio lock (one per database file and
event loop) before its transaction's first write, and give it back when the transaction
ends: writers of this process then queue first come, first served, and wake as soon as the
lock is free. Another process still meets SQLite's busy handler, as before. A writer that
waits longer than SQLite's own busy timeout goes ahead without the lock, so a task that
would wait for itself fails as it did before (``database is locked``) instead of hanging.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_only, in_greenlet

_HELD = "snapreport.sqlite_write_lock"
_WRITES = ("insert", "update", "delete", "replace")


class _Queue:
    """The lock of one database in one event loop, and how many writers wait for it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Queue]] = (
    weakref.WeakKeyDictionary()
)


def serialize_writers(engine: AsyncEngine, *, database: str, patience: float) -> None:
    """Queue `engine`'s write transactions on the lock of `database` (its file's path)."""
    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", _take_before_first_write(database, patience))
    event.listen(sync, "commit", _give_back)
    event.listen(sync, "rollback", _give_back)
    # A connection closed or invalidated mid-transaction never commits nor rolls back.
    event.listen(sync.pool, "checkin", _give_back_on_checkin)


def writers_waiting(database: str) -> int:
    """How many of this event loop's writers queue for `database`'s lock now."""
    queue = _QUEUES.get(asyncio.get_running_loop(), {}).get(database)
    return queue.waiting if queue is not None else 0


def _queue_for(database: str) -> _Queue:
    per_loop = _QUEUES.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(database, _Queue())


def _take_before_first_write(database: str, patience: float) -> Any:
    def take(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if _HELD in conn.info or not in_greenlet():
            return
        if not statement.lstrip()[:7].lower().startswith(_WRITES):
            return
        queue = _queue_for(database)
        if await_only(_acquire(queue, patience)):
            conn.info[_HELD] = queue.lock

    return take


async def _acquire(queue: _Queue, patience: float) -> bool:
    queue.waiting += 1
    try:
        await asyncio.wait_for(queue.lock.acquire(), patience)
    except TimeoutError:
        return False
    finally:
        queue.waiting -= 1
    return True


def _give_back(conn: Connection) -> None:
    lock = conn.info.pop(_HELD, None) if not conn.invalidated else None
    if lock is not None:
        lock.release()


def _give_back_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is None:
        return
    lock = record.info.pop(_HELD, None)
    if lock is not None:
        lock.release()
