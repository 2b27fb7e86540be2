"""The SQLite connection settings that make a commit durable and concurrent writers wait."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.db import create_engine

# SQLite's codes for `PRAGMA synchronous`: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
FULL = 2


async def test_every_connection_is_wal_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        async with engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            synchronous = await connection.scalar(text("PRAGMA synchronous"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
    finally:
        await engine.dispose()

    assert (journal, synchronous, foreign_keys) == ("wal", FULL, 1)
