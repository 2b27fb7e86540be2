"""Measures how long each connection holds a write transaction: first write to commit/rollback.

On SQLite a write transaction is the database's one write lock, so its length is what every
other writer may have to wait for (the busy timeout is only a safety net); on PostgreSQL it is
how long the rows written stay locked. Two timestamps per write transaction, so it is cheap
enough to stay on in production, where it logs the ones longer than a threshold with the
statement that opened them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)
_STARTED = "snapreport.write_started"
_WRITES = ("insert", "update", "delete", "replace")


@dataclass
class WriteTransactionWatch:
    """Keeps the longest write transaction seen, logs those over `threshold` seconds."""

    threshold: float = 1.0
    longest: float = 0.0
    longest_statement: str = ""
    count: int = 0

    def __post_init__(self) -> None:
        # Per watch: two watches on one engine must not take each other's start times.
        self._key = f"{_STARTED}:{id(self)}"

    def install(self, engine: AsyncEngine) -> WriteTransactionWatch:
        """Listen on `engine`'s connections; returns self so it reads as one line."""
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before_execute)
        event.listen(sync, "commit", self._end)
        event.listen(sync, "rollback", self._end)
        return self

    def reset(self) -> None:
        """Forget what was seen so far (after a benchmark's warm-up)."""
        self.longest, self.longest_statement, self.count = 0.0, "", 0

    def _before_execute(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._key not in conn.info and statement.lstrip()[:7].lower().startswith(_WRITES):
            conn.info[self._key] = (time.perf_counter(), " ".join(statement.split()[:3]))

    def _end(self, conn: Connection) -> None:
        if conn.invalidated:
            # A connection cut off mid-statement (a cancelled task) is rolled back as it is
            # discarded; reading its `info` would raise instead of letting it go.
            return
        started = conn.info.pop(self._key, None)
        if started is None:
            return
        held = time.perf_counter() - started[0]
        self.count += 1
        if held > self.longest:
            self.longest, self.longest_statement = held, started[1]
        if held >= self.threshold:
            log.warning("slow_write_transaction", held_ms=round(held * 1000, 1), first=started[1])
