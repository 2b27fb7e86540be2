"""`tickets.ports.ChatHistory` on the outbox: the bot's messages in a private chat, deleted.

The bot's messages in a chat are known twice over: outbox rows keep the ids of the messages
they created (`result_message_ids`), and the answers handlers sent themselves are recorded
as `SentMessage` rows (by `bot.unit_of_work.RecordDirectAnswers`). Deleting is one
`deleteMessage` row per message, queued behind whatever the chat still has to receive; the
ids are then dropped, so a second `/forget` finds nothing left to delete.
"""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import I18n
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from config.settings import Settings
from outbox.notifier import FORGET_PURPOSE, OutboxNotifier
from storage.identity import lookup_hash
from storage.models import OutboxMessage, SentMessage
from tickets.clock import Clock
from tickets.privacy import ForgetReport

# Cards a staff member keeps in their own chat are their work, edited in place later.
_KEPT_PURPOSES = ("card",)


class OutboxChatHistory:
    """Deletes the bot's messages in one private chat through the outbox."""

    def __init__(
        self, session: AsyncSession, i18n: I18n, settings: Settings, *, clock: Clock
    ) -> None:
        self._session = session
        self._outbox = OutboxNotifier(session, i18n, settings, clock=clock)

    async def forget(self, *, chat_id: int, since: datetime) -> ForgetReport:
        chat_hash = lookup_hash(self._session, chat_id)
        recent: list[int] = []
        too_old = 0
        sent = await self._session.scalars(
            select(OutboxMessage).where(
                col(OutboxMessage.chat_hash) == chat_hash,
                col(OutboxMessage.state) == "sent",
                col(OutboxMessage.method).startswith("send"),
                col(OutboxMessage.purpose).not_in(_KEPT_PURPOSES),
            )
        )
        for row in sent:
            if not row.result_message_ids:
                continue
            if row.sent_at is not None and row.sent_at >= since:
                recent += row.result_message_ids
                row.result_message_ids = []
            else:
                too_old += len(row.result_message_ids)
        answers = await self._session.scalars(
            select(SentMessage).where(col(SentMessage.chat_hash) == chat_hash)
        )
        for answer in answers:
            if answer.sent_at >= since:
                recent.append(answer.message_id)
                await self._session.delete(answer)
            else:
                too_old += 1
        for message_id in sorted(set(recent)):
            self._outbox.enqueue(
                chat_id,
                "deleteMessage",
                {"message_id": message_id},
                key=f"forget:{message_id}",
                purpose=FORGET_PURPOSE,
            )
        return ForgetReport(deleting=len(set(recent)), too_old=too_old)
