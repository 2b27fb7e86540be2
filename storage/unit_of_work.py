"""The session of the update being handled, reachable from code that is not handed it.

`unit_of_work` sets it (for `bot.middlewares.DbSessionMiddleware` and the console's pages);
`bot.unit_of_work.CommitBeforeRequest` and the FSM storage commit it before they do
something that must not wait with SQLite's write lock held (a Bot API call; a write on the
FSM's own connection, which would wait for that very lock until the busy timeout).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass
class UnitOfWork:
    """The session of the update being handled, and the task allowed to commit it."""

    session: AsyncSession
    owner: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)
    open: bool = True
    # What the unit holds until it ends (the FSM keys it wrote), and how to let each go.
    held: dict[str, Callable[[], None]] = field(default_factory=dict)

    def commit_allowed(self) -> bool:
        # Tasks a handler spawns inherit the context but must not touch its session: an
        # AsyncSession is not safe for concurrent use, and it is closed once the handler ends.
        return self.open and asyncio.current_task() is self.owner

    def release(self) -> None:
        """Let go of what the unit held, once its transaction has ended."""
        held, self.held = self.held, {}
        for let_go in held.values():
            let_go()


CURRENT_UNIT: ContextVar[UnitOfWork | None] = ContextVar("current_unit_of_work", default=None)


async def commit_current_unit() -> None:
    """Commit the current update's session if it has a transaction in progress."""
    unit = CURRENT_UNIT.get()
    if unit is not None and unit.commit_allowed() and unit.session.in_transaction():
        await unit.session.commit()


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session as the current unit of work: committed when the block ends, rolled back
    when it raises, and what the unit held let go of once its transaction has ended."""
    async with sessions() as session:
        unit = UnitOfWork(session)
        token = CURRENT_UNIT.set(unit)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            unit.open = False
            CURRENT_UNIT.reset(token)
            unit.release()  # after the commit or rollback: see `storage.fsm`
