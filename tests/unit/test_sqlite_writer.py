"""SQLite writers of one process queue for the write lock in order (`storage.sqlite_writer`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.sqlite_writer import serialize_writers, writers_waiting

pytestmark = pytest.mark.asyncio


def _engine(path: Path, *, patience: float = 5.0, busy_timeout_s: float = 10.0) -> AsyncEngine:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", connect_args={"timeout": busy_timeout_s}
    )
    serialize_writers(engine, database=str(path), patience=patience)
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = _engine(tmp_path / "queue.sqlite3")
    async with engine.begin() as connection:
        await connection.execute(text("PRAGMA journal_mode=WAL"))
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    yield engine
    await engine.dispose()


def _reached_sqlite(engine: AsyncEngine) -> list[str]:
    """Who's INSERT reached SQLite, in order: listened after the queue's own listener."""
    reached: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT"):
            reached.append(parameters[0] if isinstance(parameters, tuple) else "?")

    return reached


async def _insert(connection: AsyncConnection, who: str) -> None:
    await connection.execute(text("INSERT INTO t (who) VALUES (:who)"), {"who": who})


async def _write_and_commit(engine: AsyncEngine, who: str) -> None:
    async with engine.begin() as connection:
        await _insert(connection, who)


async def _queued_writer(engine: AsyncEngine, who: str) -> asyncio.Task[None]:
    """A task writing `who`, once it waits in the queue (one more writer waiting)."""
    database = str(engine.url.database)
    before = writers_waiting(database)
    task = asyncio.create_task(_write_and_commit(engine, who))
    # Its checkout and BEGIN wait on aiosqlite's thread first; the queue fires no event.
    async with asyncio.timeout(5):
        while writers_waiting(database) == before:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
    return task


async def test_a_writer_waits_in_the_queue_not_in_sqlite_while_another_holds_the_lock(
    engine: AsyncEngine,
) -> None:
    reached = _reached_sqlite(engine)
    async with engine.connect() as holder:
        await _insert(holder, "holder")
        waiting = await _queued_writer(engine, "second")

        assert reached == ["holder"]
        assert not waiting.done()
        await holder.commit()
        await waiting

    assert reached == ["holder", "second"]


async def test_queued_writers_reach_sqlite_in_the_order_they_asked(engine: AsyncEngine) -> None:
    reached = _reached_sqlite(engine)
    async with engine.connect() as holder:
        await _insert(holder, "holder")
        writers = [await _queued_writer(engine, who) for who in ("first", "second", "third")]
        await holder.commit()
        await asyncio.gather(*writers)

    assert reached == ["holder", "first", "second", "third"]


async def test_a_rollback_and_a_connection_closed_mid_transaction_give_the_lock_back(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as rolled_back:
        await _insert(rolled_back, "undone")
        await rolled_back.rollback()
    await asyncio.wait_for(_write_and_commit(engine, "after rollback"), 5)

    abandoned = await engine.connect()
    await _insert(abandoned, "abandoned")
    await abandoned.invalidate()
    await abandoned.close()
    await asyncio.wait_for(_write_and_commit(engine, "after invalidation"), 5)

    async with engine.connect() as reader:
        rows = (await reader.execute(text("SELECT who FROM t ORDER BY id"))).scalars().all()
    assert rows == ["after rollback", "after invalidation"]


async def test_a_writer_out_of_patience_goes_on_to_sqlite_and_fails_as_before(
    tmp_path: Path,
) -> None:
    """A task that would wait for its own write must fail (database is locked), not hang."""
    engine = _engine(tmp_path / "self.sqlite3", patience=0, busy_timeout_s=0)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
        async with engine.connect() as holder:
            await _insert(holder, "holder")
            with pytest.raises(OperationalError, match="locked"):
                await asyncio.wait_for(_write_and_commit(engine, "same task"), 5)
            await holder.commit()
    finally:
        await engine.dispose()
