"""Fresh databases already at the schema's head, without running every migration per test.

Migrating an empty database takes about 0.2 s on an idle machine and seconds on a busy
one; the suite creates over a thousand. Each worker process migrates one SQLite file and
one PostgreSQL template database once, and each test gets a copy (SQLite's backup API; a
PostgreSQL `CREATE DATABASE … TEMPLATE`). The app still runs its migrations at start-up,
which then find nothing to do. Tests of the migrations themselves ask for an empty
database with the `empty_database` marker.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from storage.migrate import upgrade
from tests.pgserver import PostgresServer


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def migrated_sqlite(path: Path) -> Path:
    """`path`, made a SQLite database at the schema's head."""
    upgrade(sqlite_url(path))
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """A copy of `template` at `path` (the backup API copies a consistent state, WAL too)."""
    with sqlite3.connect(template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return sqlite_url(path)


def migrated_postgres_template(server: PostgresServer) -> str:
    """The name of a new database at the schema's head, to be copied by `create_database`."""
    name = f"head_{uuid.uuid4().hex[:10]}"
    upgrade(server.create_database(name))
    return name
