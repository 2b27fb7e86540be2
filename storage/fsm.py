"""aiogram FSM storage on the database, so a half-written report survives a restart.

Each call is its own short transaction: FSM state is conversation progress, not ticket
data, and must be durable the moment a step is answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import delete, select
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import FsmRecord, utcnow


def storage_key_to_str(key: StorageKey) -> str:
    parts = [
        str(key.bot_id),
        str(key.chat_id),
        str(key.user_id),
        str(key.thread_id or ""),
        key.business_connection_id or "",
        key.destiny,
    ]
    return ":".join(parts)


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `fsm_record` table."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(storage_key_to_str(key), state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(storage_key_to_str(key))
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(storage_key_to_str(key), data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(storage_key_to_str(key))
        return dict(record.data) if record else {}

    async def close(self) -> None:
        """Nothing to close: the engine belongs to the composition root."""

    async def _get(self, key: str) -> FsmRecord | None:
        async with self._sessions() as session:
            return await session.get(FsmRecord, key)

    async def _upsert(self, key: str, **values: Any) -> None:
        async with self._sessions() as session, session.begin():
            stored = await session.get(FsmRecord, key)
            record = stored or FsmRecord(key=key)
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = utcnow()
            if record.state is None and not record.data:
                # An empty record is the same as none: keep the table small.
                if stored is not None:
                    await session.delete(stored)
                return
            if stored is None:
                session.add(record)


async def expired_records(
    session_factory: SessionFactory, *, state_prefix: str, older_than: datetime
) -> list[FsmRecord]:
    """Records in a flow (`ReportDraft:`) untouched since `older_than`."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(FsmRecord).where(
                col(FsmRecord.state).startswith(state_prefix),
                col(FsmRecord.updated_at) < older_than,
            )
        )
        return list(rows)


async def delete_records(session_factory: SessionFactory, keys: list[str]) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(delete(FsmRecord).where(col(FsmRecord.key).in_(keys)))


def ttl_cutoff(now: datetime, hours: int) -> datetime:
    return now - timedelta(hours=hours)
