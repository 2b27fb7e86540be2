"""The update's unit of work, and the rule that it never waits on the network with a lock held.

`DbSessionMiddleware` opens one session per update and commits it when the handler returns.
On SQLite the first write of that session takes the database's single write lock, and it is
held until the commit; a handler that writes and then talks to Telegram would hold it across
the HTTP round trip and across the pacing wait for its chat (up to about a second per message
at Telegram's private-chat rate), so every other writer (the poller storing updates, the FSM,
the outbox) would queue behind it and, past the busy timeout, fail.

So `CommitBeforeRequest`, a request middleware on the Bot's session, commits the current
update's session before any Bot API call goes out. The resulting semantics, which handlers
rely on: what a handler wrote before its first Bot API call is committed before that call
(exactly as if the handler had committed itself: a reply never announces something that could
still roll back); what it writes after the call commits when it returns, or rolls back when it
raises. Use cases never call the Bot API (they write outbox rows), so one use case is still one
transaction. Reads do not hold SQLite's write lock, and on PostgreSQL the same rule keeps row
locks short.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
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


class CommitBeforeRequest(BaseRequestMiddleware):
    """Outermost request middleware: no Bot API call (nor its pacing wait) holds a write lock."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await commit_current_unit()
        return await make_request(bot, method)
