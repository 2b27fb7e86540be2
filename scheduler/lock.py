"""Single runner: only one process sweeps follow-ups and dispatches the outbox at a time.

Per-chat order in the outbox needs one sender, and a follow-up must fire once. The runner
lock elects that process:
- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a dedicated
  connection. Replicas that do not get it stand by and try again; if the holder dies, the
  server drops its session and the lock with it. `held()` pings the connection, so a holder
  whose connection broke steps down at its next check.
- SQLite file: an exclusive `flock` on `<database>.runner.lock`, so a second process started
  on the same file by mistake stands by instead of double-sending. The kernel releases it
  when the process dies.
- SQLite in memory: one process by construction.

The lock is the first line of defence; the work is also safe without it. Outbox rows are
claimed with a compare-and-set (`pending` → `sending`), so no row is sent twice by two
runners, and each follow-up is claimed with `SELECT ... FOR UPDATE SKIP LOCKED` (rendered as
nothing on SQLite, where writers are serialised anyway), so it fires once. What only the lock
guarantees is the order of messages within a chat.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Protocol

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


RUNNER_KEY = lock_key("snapreport:scheduler")


class RunnerLock(Protocol):
    async def acquire(self) -> bool:
        """Try to become the runner without waiting; True when this process holds the lock."""
        ...

    async def held(self) -> bool:
        """Tell whether the lock is (still) held by this process."""
        ...

    async def release(self) -> None:
        """Give the lock up (idempotent)."""
        ...


class ProcessLock:
    """The lock of a database only this process can open (SQLite in memory)."""

    def __init__(self) -> None:
        self._held = False

    async def acquire(self) -> bool:
        self._held = True
        return True

    async def held(self) -> bool:
        return self._held

    async def release(self) -> None:
        self._held = False


class FileLock:
    """An exclusive, non-blocking `flock` on a file next to the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    async def acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A local lock file, opened once per election: not worth a thread.
        handle = open(self.path, "a+b")  # noqa: SIM115, ASYNC230 - held while we lead
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    async def held(self) -> bool:
        return self._file is not None

    async def release(self) -> None:
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a connection kept for the purpose."""

    def __init__(self, engine: AsyncEngine, key: int = RUNNER_KEY) -> None:
        self._engine = engine
        self.key = key
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._connection is not None:
            return await self.held()
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
            # Session-level locks outlive transactions: don't sit "idle in transaction".
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception:
            log.warning("runner_lock_lost")
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(Exception):
            await self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
            )
            await self._connection.commit()
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


def runner_lock(engine: AsyncEngine) -> RunnerLock:
    """The right lock for the engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(engine)
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return FileLock(Path(f"{database}.runner.lock"))
    return ProcessLock()
