"""Databases for the statistics tests: SQLite always, PostgreSQL too when it can start.

The known-answer data set is read-only for the tests that use it, so it is built once per
module and backend (`stats_db`); tests that write get a fresh SQLite database
(`session_factory`), copied from one migrated once per session.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade
from tests.keys import TEST_KEYS
from tests.pgserver import PostgresServer
from tests.stats.dataset import Ids, build_dataset

BACKENDS = [
    pytest.param(b, marks=pytest.mark.postgres) if b == "postgres" else b
    for b in os.environ.get("SNAPREPORT_TEST_BACKENDS", "sqlite,postgres").split(",")
    if b
]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _sqlite_copy(template: Path, folder: Path) -> str:
    path = folder / "stats.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def session_factory(
    migrated_template: Path, tmp_path: Path
) -> AsyncIterator[SessionFactory]:
    engine = create_engine(_sqlite_copy(migrated_template, tmp_path), keys=TEST_KEYS)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def stats_url(
    request: pytest.FixtureRequest,
    migrated_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    if request.param == "sqlite":
        return _sqlite_copy(migrated_template, tmp_path_factory.mktemp("stats"))
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.create_database(f"stats_{uuid.uuid4().hex[:12]}")
    upgrade(url)
    return url


@dataclass(frozen=True)
class StatsDb:
    """The known-answer data set, loaded: read it, never write it."""

    sessions: SessionFactory
    ids: Ids
    backend: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stats_db(stats_url: str) -> AsyncIterator[StatsDb]:
    engine = create_engine(stats_url, keys=TEST_KEYS)
    sessions = create_session_factory(engine)
    try:
        yield StatsDb(sessions, await build_dataset(sessions), engine.dialect.name)
    finally:
        await engine.dispose()
