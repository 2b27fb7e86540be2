"""The database FSM storage: durable, clock-stamped, and safe against concurrent updates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import SessionFactory
from storage.fsm import DatabaseStorage, fsm_row_key
from storage.models import FsmRecord
from storage.unit_of_work import CURRENT_UNIT, UnitOfWork
from tests.factories import tables_at
from tests.keys import TEST_KEYS
from tickets.clock import ManualClock

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async with tables_at(f"sqlite+aiosqlite:///{tmp_path / 'fsm.sqlite3'}") as sessions:
        yield sessions


@contextlib.asynccontextmanager
async def inside_update(session: AsyncSession) -> AsyncIterator[None]:
    """Run the block as an update's handler: `session` is the current unit of work."""
    unit = UnitOfWork(session)
    token = CURRENT_UNIT.set(unit)
    try:
        yield
    finally:
        CURRENT_UNIT.reset(token)
        unit.release()


async def test_state_and_data_survive_a_new_storage(sessions: SessionFactory) -> None:
    await DatabaseStorage(sessions).set_state(KEY, "ReportDraft:describing")
    await DatabaseStorage(sessions).set_data(KEY, {"photos": ["a"]})

    fresh = DatabaseStorage(sessions)
    assert await fresh.get_state(KEY) == "ReportDraft:describing"
    assert await fresh.get_data(KEY) == {"photos": ["a"]}


async def test_clearing_deletes_the_row(sessions: SessionFactory) -> None:
    storage = DatabaseStorage(sessions)
    await storage.set_state(KEY, "ReportDraft:describing")
    await storage.set_data(KEY, {"photos": ["a"]})

    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})

    async with sessions() as session:
        assert await session.get(FsmRecord, fsm_row_key(TEST_KEYS, KEY)) is None


async def test_rows_are_stamped_with_the_injected_clock(sessions: SessionFactory) -> None:
    clock = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    storage = DatabaseStorage(sessions, clock=clock)
    await storage.set_state(KEY, "ReportDraft:describing")
    clock.advance(timedelta(hours=3))

    await storage.update_data(KEY, {"description": "x"})

    async with sessions() as session:
        record = await session.get(FsmRecord, fsm_row_key(TEST_KEYS, KEY))
    assert record is not None and record.updated_at == datetime(2030, 1, 1, 3, tzinfo=UTC)


async def test_concurrent_updates_of_one_key_lose_nothing(sessions: SessionFactory) -> None:
    storage = DatabaseStorage(sessions)
    await storage.set_state(KEY, "ReportDraft:adding_photos")

    await asyncio.gather(*(storage.update_data(KEY, {f"k{i}": i}) for i in range(20)))

    assert await storage.get_data(KEY) == {f"k{i}": i for i in range(20)}


async def test_inside_an_update_state_commits_with_the_update(sessions: SessionFactory) -> None:
    storage = DatabaseStorage(sessions)
    async with sessions() as session, inside_update(session):
        await storage.set_state(KEY, "Casework:writing_reply")
        assert await storage.get_state(KEY) == "Casework:writing_reply"  # its own write
        async with sessions() as other:  # not committed yet
            assert await other.get(FsmRecord, fsm_row_key(TEST_KEYS, KEY)) is None
        await session.commit()
    assert await DatabaseStorage(sessions).get_state(KEY) == "Casework:writing_reply"


async def test_inside_an_update_state_rolls_back_with_the_update(sessions: SessionFactory) -> None:
    storage = DatabaseStorage(sessions)
    await storage.set_state(KEY, "Casework:writing_reply")
    async with sessions() as session, inside_update(session):
        await storage.set_state(KEY, None)  # the step ends, then the effect fails
        await session.rollback()
    assert await storage.get_state(KEY) == "Casework:writing_reply"


async def test_a_task_spawned_by_the_update_writes_on_its_own(sessions: SessionFactory) -> None:
    storage = DatabaseStorage(sessions)
    async with sessions() as session, inside_update(session):
        # The task inherits the context but must not use the update's session.
        await asyncio.create_task(storage.set_data(KEY, {"panel": 1}))
        await session.rollback()
    assert await storage.get_data(KEY) == {"panel": 1}


async def test_a_task_waits_for_the_update_holding_the_key(sessions: SessionFactory) -> None:
    storage = DatabaseStorage(sessions)
    await storage.set_data(KEY, {"photos": ["a"]})
    async with sessions() as session, inside_update(session):
        await storage.update_data(KEY, {"photos": ["a", "b"]})
        # A panel refresh merging now would read the old list and lose "b".
        panel = asyncio.create_task(storage.update_data(KEY, {"panel_id": 7}))
        await asyncio.sleep(0.05)
        assert not panel.done()
        await session.commit()
    await panel
    assert await storage.get_data(KEY) == {"photos": ["a", "b"], "panel_id": 7}
