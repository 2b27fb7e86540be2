"""Run Alembic migrations from code, so `snapreport db upgrade` and the tests share one path.

Every replica runs `upgrade` at start-up (AUTO_MIGRATE), so several may run it at the same
moment; a migration must still run once. On PostgreSQL `migrations/env.py` holds a
session-level advisory lock around the migrations; on a SQLite file an exclusive `flock` on
`<database>.migrate.lock` does the same for processes sharing the file. The process that
waits then finds the schema at head and does nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url

from storage.db import ensure_sqlite_dir, is_sqlite
from storage.identity import IdentityKeys

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# A signed 64-bit key of its own: the scheduler's runner lock uses another one.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"snapreport:migrations").digest()[:8], "big", signed=True
)


def alembic_config(database_url: str, keys: IdentityKeys | None = None) -> Config:
    config = Config()
    # Data migrations that encrypt or decrypt identities read the ring from here; without
    # it they fall back to IDENTITY_KEY in the environment.
    config.attributes["identity_keys"] = keys
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revisions() -> tuple[str, ...]:
    """The revisions the code expects the database to be at."""
    return tuple(ScriptDirectory.from_config(alembic_config("")).get_heads())


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions a database is at (empty before the first migration)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade(database_url: str, revision: str = "head", keys: IdentityKeys | None = None) -> None:
    """Bring the schema to `revision` (blocking: call it in a thread from async code)."""
    ensure_sqlite_dir(database_url)
    with sqlite_file_lock(database_url):
        command.upgrade(alembic_config(database_url, keys), revision)


def downgrade(database_url: str, revision: str, keys: IdentityKeys | None = None) -> None:
    """Take the schema back to `revision` (`base`: empty)."""
    with sqlite_file_lock(database_url):
        command.downgrade(alembic_config(database_url, keys), revision)


@contextmanager
def sqlite_file_lock(database_url: str) -> Iterator[None]:
    """Wait for the exclusive migration lock of a SQLite file; nothing for other databases."""
    database = make_url(database_url).database
    if not is_sqlite(database_url) or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released by close, or by the kernel on death
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
