"""Real upgrades: the migrations build exactly the models' schema, reverse cleanly, and run
once when several replicas start at the same moment.

Each test runs on SQLite and on the session's PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import create_engine
from storage.identity import EncryptedInt, EncryptedJSON, EncryptedStr
from storage.migrate import downgrade, head_revisions, upgrade

CONCURRENT_STARTS = 4


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs = list(compare_metadata(context, SQLModel.metadata))
    if connection.dialect.name == "sqlite":
        diffs = [d for d in diffs if not _sqlite_affinity_only(d)]
    return diffs


def _sqlite_affinity_only(diff: Any) -> bool:
    """What `0003_identity` leaves as it was on SQLite, on purpose (see its docstring).

    A SQLite column's declared type is only an affinity, and rebuilding `reporter` to change
    it (or to make an added `*_hash` column NOT NULL) would trip the foreign keys that point
    at it; every row is still written through the encrypted types and filled hash columns.
    """
    change = diff[0] if isinstance(diff, list) else diff
    kind, column = change[0], change[3]
    if kind == "modify_type":
        return bool(isinstance(change[6], EncryptedStr | EncryptedInt | EncryptedJSON))
    return bool(kind == "modify_nullable" and column.endswith("_hash"))


async def schema_diffs(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diffs)
    finally:
        await engine.dispose()


async def tables_and_versions(url: str) -> tuple[set[str], list[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            versions: list[str] = []
            if "alembic_version" in tables:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                versions = [row[0] for row in rows]
            return tables - {"alembic_version"}, versions
    finally:
        await engine.dispose()


async def test_upgrading_an_empty_database_builds_the_models_schema(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)

    assert await schema_diffs(database_url) == []
    _, versions = await tables_and_versions(database_url)
    assert versions == list(head_revisions())


async def test_downgrade_to_base_and_upgrade_again_round_trips(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(downgrade, database_url, "base")

    tables, versions = await tables_and_versions(database_url)
    assert tables == set() and versions == []

    await asyncio.to_thread(upgrade, database_url)
    assert await schema_diffs(database_url) == []


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    # Separate processes, as replicas are: each runs the same upgrade a start-up runs.
    code = "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1])"
    starts = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, database_url,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(CONCURRENT_STARTS)
    ]  # fmt: skip
    results = [await start.communicate() for start in starts]

    failures = [err.decode()[-800:] for (_, err), start in zip(results, starts, strict=True)
                if start.returncode != 0]  # fmt: skip
    assert failures == []
    _, versions = await tables_and_versions(database_url)
    assert versions == list(head_revisions())
    assert await schema_diffs(database_url) == []
