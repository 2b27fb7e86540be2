"""Fixtures for the unit tests that read and write through storage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.db import SessionFactory
from tests.factories import tables_at


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on the test's database, every model's table in it."""
    async with tables_at(database_url) as sessions:
        yield sessions
