"""`/forget`: the bot deletes its own messages in a reporter's private chat.

```mermaid
flowchart LR
  forget[/forget/] --> queued[deletions queued in the outbox] --> told[what was done]
```
Only in a private chat, and without touching any ticket: a reporter whose phone may be
inspected takes the bot's side of the conversation away (see `tickets.privacy`).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from handlers.routing import Blueprint
from tickets.ports import UpdateWorkspace
from tickets.privacy import forget_chat
from ui.render import forget_text

router = Blueprint(__name__)
router.message.filter(F.chat.type == "private")


@router.message(Command("forget"))
async def forget(message: Message, ws: UpdateWorkspace) -> None:
    report = await forget_chat(ws, chat_id=message.chat.id)
    await message.answer(forget_text(report))


def create_router() -> Router:
    """This module's handlers on a fresh Router, for one Dispatcher."""
    return router.build()
