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
from aiogram.methods import DeleteMessage, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Message
from sqlalchemy import delete
from sqlmodel import col

from outbox.telegram import message_ids
from storage.identity import lookup_hash
from storage.models import SentMessage
from storage.unit_of_work import CURRENT_UNIT, commit_current_unit
from tickets.clock import Clock


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


class RecordDirectAnswers(BaseRequestMiddleware):
    """Remember the messages a handler sends into a private chat, for `/forget`.

    The outbox records what it sends itself; a handler's direct answers (`message.answer`)
    would otherwise be forgotten by the bot and stay on the reporter's phone. The record is
    added to the update's own session, so it commits with the update; calls outside an
    update (the outbox dispatcher's) are not recorded here.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        unit = CURRENT_UNIT.get()
        if unit is None or not unit.commit_allowed():
            return response
        if isinstance(method, DeleteMessage) and isinstance(method.chat_id, int):
            # Gone already (a replaced panel): `/forget` must not count it as left behind.
            await unit.session.execute(
                delete(SentMessage).where(
                    col(SentMessage.chat_hash) == lookup_hash(unit.session, method.chat_id),
                    col(SentMessage.message_id) == method.message_id,
                )
            )
            return response
        if not method.__api_method__.startswith("send"):
            return response
        # Annotated as a Response, but what comes back through the chain is the result.
        result: object = getattr(response, "result", response)
        sent = result if isinstance(result, list) else [result]
        ids = message_ids([m for m in sent if isinstance(m, Message) and m.chat.type == "private"])
        if ids:
            chat_id = next(m.chat.id for m in sent if isinstance(m, Message))
            now = self._clock.now()
            unit.session.add_all(
                SentMessage(chat_id=chat_id, message_id=message_id, sent_at=now)
                for message_id in ids
            )
        return response
