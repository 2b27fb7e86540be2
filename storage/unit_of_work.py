"""The session of the update being handled, reachable from code that is not handed it.

`bot.middlewares.DbSessionMiddleware` sets it; `bot.unit_of_work.CommitBeforeRequest` and the
FSM storage commit it before they do something that must not wait with SQLite's write lock
held (a Bot API call; a write on the FSM's own connection, which would wait for that very
lock until the busy timeout).
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class UnitOfWork:
    """The session of the update being handled, and the task allowed to commit it."""

    session: AsyncSession
    owner: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)
    open: bool = True

    def commit_allowed(self) -> bool:
        # Tasks a handler spawns inherit the context but must not touch its session: an
        # AsyncSession is not safe for concurrent use, and it is closed once the handler ends.
        return self.open and asyncio.current_task() is self.owner


CURRENT_UNIT: ContextVar[UnitOfWork | None] = ContextVar("current_unit_of_work", default=None)


async def commit_current_unit() -> None:
    """Commit the current update's session if it has a transaction in progress."""
    unit = CURRENT_UNIT.get()
    if unit is not None and unit.commit_allowed() and unit.session.in_transaction():
        await unit.session.commit()
