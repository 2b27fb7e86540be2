"""Steps many repositories take on rows: how many a statement changed, a partial update."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel


def rows_changed(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE matched."""
    # `Session.execute` types its result as `Result`; for DML it is a `CursorResult`.
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def update_row(
    session: AsyncSession, model: type[SQLModel], key: object, **changes: object
) -> None:
    """Set the columns given a value (None leaves one as it is) on the row with this key."""
    row = await session.get(model, key)
    if row is None:
        return
    for column, value in changes.items():
        if value is not None:
            setattr(row, column, value)
    await session.flush()
