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

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from storage.unit_of_work import commit_current_unit


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
