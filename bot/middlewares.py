"""Dispatcher middlewares: unit of work, the acting user, the workspace, domain refusals,
reachability, one log line per update.

Outer update middlewares, outermost first (`bot.factory` registers them in this order):
`UpdateLogMiddleware` → `DbSessionMiddleware` (the unit of work) → aiogram's FSM middleware
(`state`, read on the update's session) → `ActorMiddleware` (`actor`, `user_language`) →
`WorkspaceMiddleware` (`ws`) → `DomainErrorMiddleware`. They all share one `data` dict, so
the errors router sees `ws`, `actor`, `state` and the user's language.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import Chat, ErrorEvent, TelegramObject, Update, User

from bot.inbox import InboxReceipt, mark_handled_on
from bot.workspace import Workspaces

# Re-exported: handlers name users in logs and security events by this keyed hash.
from config.logs import user_hash as user_hash
from storage.db import SessionFactory
from storage.people import PeopleRepo
from storage.unit_of_work import unit_of_work
from tickets.errors import DomainError

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = structlog.get_logger(__name__)


class DbSessionMiddleware(BaseMiddleware):
    """One session per update: commit when the handler returns, roll back when it raises.

    The session is also the current `UnitOfWork`: the FSM storage writes through it, and the
    Bot commits it before each API call (see `bot.unit_of_work`), so no write transaction
    waits on Telegram. An update from the inbox (`inbox_receipt`) is marked handled in the
    last commit, with the handler's effects.
    """

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with unit_of_work(self._sessions) as session:
            data["session"] = session
            result = await handler(event, data)
            receipt = data.get("inbox_receipt")
            if isinstance(receipt, InboxReceipt):
                await mark_handled_on(session, receipt.update_id)
        if isinstance(receipt, InboxReceipt):
            receipt.marked = True
        return result


class ActorMiddleware(BaseMiddleware):
    """Injects `actor` (roles), `user_language` (the `/lang` choice) and
    `sender_unreachable` (for `ReachableMiddleware`) for the sender, in one read."""

    def __init__(self, admin_ids: frozenset[int]) -> None:
        self._admin_ids = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if isinstance(user, User):
            sender = await PeopleRepo(data["session"]).sender(
                user_id=user.id, admin_ids=self._admin_ids
            )
            data["actor"] = sender.actor
            data["user_language"] = sender.language
            data["sender_unreachable"] = sender.unreachable
        return await handler(event, data)


class WorkspaceMiddleware(BaseMiddleware):
    """Hands every handler `ws`: all its ports, built once on the update's session."""

    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._workspaces.open(data["session"]) as ws:
            data["ws"] = ws
            return await handler(event, data)


class DomainErrorMiddleware(BaseMiddleware):
    """A `DomainError` undoes the update's writes, then the errors router answers it.

    aiogram's own errors middleware runs outside every other one, after the unit of work
    has closed; this one runs inside it, so the refusal's answer finds the session rolled
    back but open, and what the answer writes (a security event) commits with the update.
    """

    def __init__(self, errors: Router) -> None:
        self._errors = errors

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            if not isinstance(event, Update):
                raise
            await data["session"].rollback()
            answered = await self._errors.propagate_event(
                update_type="error", event=ErrorEvent(update=event, exception=error), **data
            )
            if answered is UNHANDLED:
                raise
            return answered


class ReachableMiddleware(BaseMiddleware):
    """Outer middleware on messages and button presses: whoever talks to the bot in private
    can be written to, so a reporter marked unreachable by a 403 is reachable again."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user, chat = data.get("event_from_user"), data.get("event_chat")
        private = isinstance(chat, Chat) and chat.type == "private"
        if isinstance(user, User) and private and data.get("sender_unreachable"):
            session = data["session"]
            if await PeopleRepo(session).mark_reachable(user_id=user.id):
                # On its own: a handler that refuses the update rolls its writes back.
                await session.commit()
        return await handler(event, data)


@dataclass
class UpdateTrace:
    """Filled in by the inner middleware so the outer one can name the handler."""

    handler: str = "-"


class UpdateLogMiddleware(BaseMiddleware):
    """Writes one structured line per update: id, user hash, handler, latency."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace = UpdateTrace()
        data["update_trace"] = trace
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await handler(event, data)
        except Exception:
            outcome = "error"
            raise
        finally:
            user = data.get("event_from_user")
            log.info(
                "update",
                update_id=event.update_id if isinstance(event, Update) else None,
                user=user_hash(user.id) if isinstance(user, User) else None,
                handler=trace.handler,
                outcome=outcome,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
            )


class HandlerNameMiddleware(BaseMiddleware):
    """Inner middleware: records which handler was chosen for the update's log line."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace = data.get("update_trace")
        chosen = data.get("handler")
        if isinstance(trace, UpdateTrace) and isinstance(chosen, HandlerObject):
            trace.handler = getattr(chosen.callback, "__qualname__", repr(chosen.callback))
        return await handler(event, data)
