"""`0012_wechat_push_private` converts a waiting push and drops handled ones, both ways."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.migrate import downgrade, upgrade
from tests.keys import TEST_KEYS

BEFORE, AFTER = "0011_outbox_channel", "0012_wechat_push_private"
OPEN_ID, XML = "oWaiting000000000000000000001", "<xml><Content>你好</Content></xml>"
INSERT = text(
    "INSERT INTO wechat_push (id, dedup_key, open_id, msg_type, xml, received_at, handled_at,"
    " attempts, replies_sent) VALUES (:id, :key, :open_id, 'text', :xml, :at, :handled, 0, 0)"
)
ROWS = text("SELECT id, dedup_key, open_id, xml FROM wechat_push ORDER BY id")


async def _insert(engine: AsyncEngine, *rows: dict[str, object]) -> None:
    async with engine.begin() as connection:
        for row in rows:
            await connection.execute(INSERT, row)


async def _rows(url: str) -> list[tuple[object, ...]]:
    # A fresh engine each time: asyncpg's cached plans do not survive the table's rebuild.
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(ROWS)]
    finally:
        await engine.dispose()


async def test_waiting_pushes_are_encrypted_and_handled_ones_dropped(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, BEFORE, TEST_KEYS)
    engine = create_engine(database_url)
    now = datetime(2026, 12, 5, tzinfo=UTC)
    try:
        common = {"open_id": OPEN_ID, "xml": XML, "at": now}
        await _insert(
            engine,
            {"id": 1, "key": "msg:1", "handled": None, **common},
            {"id": 2, "key": "msg:2", "handled": now, **common},
        )
        await asyncio.to_thread(upgrade, database_url, AFTER, TEST_KEYS)
        [(row_id, key, open_id, xml)] = await _rows(database_url)
        assert (row_id, key) == (1, TEST_KEYS.lookup_hash("msg:1"))
        assert OPEN_ID not in str(open_id) and "你好" not in str(xml)
        assert TEST_KEYS.decrypt(str(open_id), context=b"str").decode() == OPEN_ID
        assert TEST_KEYS.decrypt(str(xml), context=b"str").decode() == XML

        await asyncio.to_thread(downgrade, database_url, BEFORE, TEST_KEYS)
        assert await _rows(database_url) == [(1, TEST_KEYS.lookup_hash("msg:1"), OPEN_ID, XML)]
    finally:
        await engine.dispose()
