"""Alembic environment: async engine, SQLModel metadata, URL from the caller's config."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models
import storage.wechat  # noqa: F401  (the WeChat inbox and token tables)
from storage.db import create_engine
from storage.identity import IdentityKeys
from storage.migrate import MIGRATION_LOCK_KEY

target_metadata = SQLModel.metadata
_LOCK = "SELECT pg_advisory_lock(:key)"
_UNLOCK = "SELECT pg_advisory_unlock(:key)"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    keys = context.config.attributes.get("identity_keys") or IdentityKeys.from_environment()
    engine = create_engine(url, keys=keys)
    try:
        async with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                # Replicas starting together wait here; the next one then finds the schema
                # at head. Session-level, so it outlives the commit below and the
                # migrations' own transaction, and dies with the connection.
                await connection.execute(text(_LOCK), {"key": MIGRATION_LOCK_KEY})
                await connection.commit()
            try:
                await connection.run_sync(_run)
            finally:
                if postgres:
                    await connection.rollback()
                    await connection.execute(text(_UNLOCK), {"key": MIGRATION_LOCK_KEY})
                    await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    asyncio.run(_run_async(url))


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
