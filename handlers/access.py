"""Who may use what: role flags on staff and admin handlers; refusals are domain errors.

A handler declares `flags=STAFF` or `flags=ADMIN`; `AccessMiddleware`, installed on the
routers that use them, lets the update through only for an actor holding that role, and
otherwise raises `Forbidden`. The department and the ticket's state are the use cases'
business (`tickets.casework`). Every refusal, here or from a use case, is answered by
`handlers.errors` with a clear message (an alert for a button) and a SecurityEvent row
naming the actor by hash, never by id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from tickets.actors import Actor
from tickets.errors import Forbidden

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

STAFF = {"access": "staff"}
ADMIN = {"access": "admin"}
# What shows a ticket in full, or many: never in a group, where everyone reads the answer.
in_private = F.chat.type == "private"


def allowed(actor: object, need: str) -> bool:
    if not isinstance(actor, Actor):
        return False
    return actor.is_admin if need == "admin" else actor.is_staff


class AccessMiddleware(BaseMiddleware):
    """Inner middleware: refuse flagged handlers to users without the role."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        need = get_flag(data, "access")
        if need is None or allowed(data.get("actor"), need):
            return await handler(event, data)
        if isinstance(event, Message | CallbackQuery):
            raise Forbidden("not_admin" if need == "admin" else "not_staff")
        return None
