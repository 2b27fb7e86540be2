"""Async engine and session factory, the one way code reaches the database.

SQLite gets WAL, foreign keys and a busy timeout so that the bot, the scheduler and the
outbox dispatcher can share one file; PostgreSQL needs nothing special. An engine carries
the identity key ring its column types encrypt and hash with (`storage.identity`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from config.settings import Settings
from storage.identity import IdentityKeyError, IdentityKeys, attach_keys

SessionFactory = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file so the embedded default works on a fresh clone."""
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def identity_keys(settings: Settings) -> IdentityKeys:
    """The key ring of IDENTITY_KEY (and IDENTITY_KEY_OLD); a clear error when unset."""
    if settings.identity_key is None or not settings.identity_key.get_secret_value().strip():
        raise IdentityKeyError(
            "IDENTITY_KEY is not set: reporters' identities cannot be stored. "
            "Run `snapreport keys init` to write one into .env, and keep a copy: "
            "without it the stored identities cannot be read."
        )
    old = settings.identity_key_old
    return IdentityKeys.from_text(
        settings.identity_key.get_secret_value(),
        old=[old.get_secret_value()] if old is not None else [],
    )


def engine_for(settings: Settings) -> AsyncEngine:
    """The engine of DATABASE_URL with the settings' identity keys."""
    return create_engine(settings.database_url, keys=identity_keys(settings))


def create_engine(
    url: str, *, keys: IdentityKeys | None = None, echo: bool = False
) -> AsyncEngine:
    """Build the async engine with per-backend settings.

    Without `keys` it still connects, but reading or writing an identity column fails
    with `IdentityKeyError` (the scheduler lock, say, needs none).
    """
    ensure_sqlite_dir(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if not is_sqlite(url):
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_async_engine(url, **kwargs)
    if keys is not None:
        attach_keys(engine, keys)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # FULL: under WAL, NORMAL can lose the last commits on a power cut, and a reporter
    # may already hold the tracking code of a ticket such a commit wrote.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    # Rows outlive the commit that wrote them (services return them to handlers).
    return async_sessionmaker(engine, expire_on_commit=False)
