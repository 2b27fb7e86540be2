"""`/forget`: take the bot's messages out of a reporter's private chat, the ticket untouched.

A phone may be inspected; what the bot wrote there (tracking codes, replies, questions)
says who reported. Telegram lets a bot delete its own messages for 48 hours, so the
messages sent within that window are deleted (through the outbox, like every other call)
and the older ones are only counted, so the reporter knows to delete them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ports module imports this one
    from tickets.ports import UpdateWorkspace

# Telegram's 48 hours, less an hour for the deletions to wait their turn in the outbox.
DELETABLE_FOR = timedelta(hours=47)


@dataclass(frozen=True)
class ForgetReport:
    """How many of the bot's messages are being deleted, and how many are too old to."""

    deleting: int = 0
    too_old: int = 0


async def forget_chat(ws: UpdateWorkspace, *, chat_id: int) -> ForgetReport:
    """Queue the deletion of the bot's deletable messages in the private chat `chat_id`."""
    return await ws.chat_history.forget(chat_id=chat_id, since=ws.clock.now() - DELETABLE_FOR)
