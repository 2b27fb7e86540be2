"""Who may use what: role flags on staff and admin handlers, and refusals that are logged.

A handler declares `flags=STAFF` or `flags=ADMIN`; `AccessMiddleware`, installed on the
routers that use them, lets the update through only for an actor holding that role. The
department and the ticket's state are the use cases' business (`tickets.casework`). Every
refusal, here or from a use case, answers with a clear message (an alert for a button) and
writes a SecurityEvent row naming the actor by hash, never by id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from config.logs import user_hash
from storage.directory import SecurityLog
from tickets.actors import Actor
from tickets.clock import Clock
from tickets.errors import DomainError, Forbidden
from ui.errors_text import error_text

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = structlog.get_logger(__name__)

STAFF = {"access": "staff"}
ADMIN = {"access": "admin"}


def allowed(actor: object, need: str) -> bool:
    if not isinstance(actor, Actor):
        return False
    return actor.is_admin if need == "admin" else actor.is_staff


class AccessMiddleware(BaseMiddleware):
    """Inner middleware: refuse (and log) flagged handlers for users without the role."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        need = get_flag(data, "access")
        if need is None or allowed(data.get("actor"), need):
            return await handler(event, data)
        if isinstance(event, Message | CallbackQuery):
            error = Forbidden("not_admin" if need == "admin" else "not_staff")
            await refuse(event, data["session"], error, clock=data["clock"])
        return None


def describe(event: Message | CallbackQuery) -> str:
    """What was attempted, without anything a user typed beyond a command's name."""
    if isinstance(event, CallbackQuery):
        return f"callback {event.data or ''}"[:200]
    command = (event.text or "").split(maxsplit=1)[0] if event.text else event.content_type
    return f"message {command[:64]} in {event.chat.type}"


async def refuse(
    event: Message | CallbackQuery,
    session: AsyncSession,
    error: DomainError,
    *,
    clock: Clock,
    detail: str = "",
) -> None:
    """Undo the update's writes, log a security event, and tell the user why not.

    The event is committed before the answer, so whoever reads the answer finds the row.
    """
    await session.rollback()
    user = event.from_user
    actor = user_hash(user.id) if user is not None else "-"
    what = f"{describe(event)} {detail}".strip()
    await SecurityLog(session).record(
        actor_hash=actor, kind=error.code, detail=what, at=clock.now()
    )
    await session.commit()
    log.warning("access_refused", user=actor, code=error.code, detail=what)
    text = error_text(error)
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
