"""A migrated SQLite database per test, copied from one migrated once per session."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def session_factory(
    migrated_template: Path, tmp_path: Path
) -> AsyncIterator[SessionFactory]:
    path = tmp_path / "stats.db"
    shutil.copyfile(migrated_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()
