"""`0024_compressed_drafts` converts every stored draft to the compressed binary form and
back, and a draft the old column type wrote reads back equal after each step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, select, text

from storage.db import create_engine, create_session_factory
from storage.identity import EncryptedJSON, IdentityKeyError
from storage.migrate import downgrade, upgrade
from storage.models import FsmRecord
from storage.types import UTCDateTime
from tests.keys import TEST_KEYS

BEFORE, AFTER = "0023_resolved_index", "0024_compressed_drafts"
ROW_KEY = "1:draft-owner-hash:draft-owner-hash:::default"
DRAFT: dict[str, Any] = {
    "draft_id": "a1b2c3",
    "photos": [{"sha256": "ab" * 32, "size_bytes": 123_456}] * 3,
    "description": "窗口工作人员上班时间玩手机" * 10,
    "phone": "+8613900001111",
    "anonymous": False,
}
# The table as revision 0023 reads and writes it: its data column of the old type.
OLD_FSM_RECORD = Table(
    "fsm_record",
    MetaData(),
    Column("key", String, primary_key=True),
    Column("state", String),
    Column("data", EncryptedJSON),
    Column("updated_at", UTCDateTime),
)


async def _write_with_old_type(url: str) -> None:
    engine = create_engine(url, keys=TEST_KEYS)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                OLD_FSM_RECORD.insert().values(
                    key=ROW_KEY, state="ReportDraft:confirming", data=DRAFT,
                    updated_at=datetime(2026, 12, 6, 22, tzinfo=UTC),
                )
            )  # fmt: skip
    finally:
        await engine.dispose()


async def _read_with_old_type(url: str) -> Any:
    engine = create_engine(url, keys=TEST_KEYS)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(OLD_FSM_RECORD.c.data))
    finally:
        await engine.dispose()


async def _read_with_new_type(url: str) -> tuple[Any, bytes]:
    """The draft through the model, and the raw bytes stored for it."""
    # A fresh engine each time: asyncpg's cached plans do not survive the column's retyping.
    engine = create_engine(url, keys=TEST_KEYS)
    try:
        async with create_session_factory(engine)() as session:
            record = await session.get(FsmRecord, ROW_KEY)
            assert record is not None
            raw = await session.scalar(text("SELECT data FROM fsm_record"))
            return record.data, raw
    finally:
        await engine.dispose()


@pytest.mark.empty_database
async def test_a_draft_written_by_the_old_type_reads_back_equal_both_ways(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, database_url, BEFORE, TEST_KEYS)
    await _write_with_old_type(database_url)

    await asyncio.to_thread(upgrade, database_url, AFTER, TEST_KEYS)
    data, raw = await _read_with_new_type(database_url)
    assert data == DRAFT
    assert isinstance(raw, bytes) and b"+8613900001111" not in raw

    await asyncio.to_thread(downgrade, database_url, BEFORE, TEST_KEYS)
    assert await _read_with_old_type(database_url) == DRAFT


@pytest.mark.empty_database
async def test_converting_drafts_needs_the_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.to_thread(upgrade, database_url, BEFORE, TEST_KEYS)
    await _write_with_old_type(database_url)
    monkeypatch.delenv("IDENTITY_KEY")

    with pytest.raises(IdentityKeyError, match="converts stored drafts and needs IDENTITY_KEY"):
        await asyncio.to_thread(upgrade, database_url, AFTER)
    assert await _read_with_old_type(database_url) == DRAFT  # the failed run changed nothing
