"""Builds the `Bot` and the `Dispatcher`: the aiogram half of the composition root."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode

from bot.api_session import bot_api_session
from bot.callback_answers import LenientCallbackAnswers
from bot.middlewares import (
    ActorMiddleware,
    DbSessionMiddleware,
    DomainErrorMiddleware,
    HandlerNameMiddleware,
    ReachableMiddleware,
    UpdateLogMiddleware,
    WorkspaceMiddleware,
)
from bot.unit_of_work import CommitBeforeRequest, RecordDirectAnswers
from bot.workspace import Workspaces
from config.settings import Settings
from handlers import get_routers
from outbox.pacing import PacingMiddleware
from outbox.ratelimit import RateLimiter
from storage.db import identity_keys
from storage.fsm import DatabaseStorage
from tickets.clock import Clock, SystemClock
from ui.i18n import LocaleMiddleware


class MissingTokenError(RuntimeError):
    """BOT_TOKEN is not set: the bot cannot talk to any Bot API server."""


def create_bot(settings: Settings, limiter: RateLimiter, *, clock: Clock | None = None) -> Bot:
    """A Bot on the server named by TELEGRAM_API_URL, every send paced by `limiter`; its
    direct answers in private chats are recorded with `clock`'s time (for `/forget`)."""
    if settings.bot_token is None:
        raise MissingTokenError(
            "BOT_TOKEN is not set. Put BOT_TOKEN=<token from @BotFather> in .env "
            "(see .env.example), or run `snapreport demo` to try it without one."
        )
    session = bot_api_session(settings.telegram_api_url)
    # Outermost first: commit the update's writes before anything waits (pacing included).
    session.middleware(CommitBeforeRequest())
    session.middleware(RecordDirectAnswers(clock or SystemClock()))
    session.middleware(LenientCallbackAnswers())
    session.middleware(PacingMiddleware(limiter))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_dispatcher(*, workspaces: Workspaces, **workflow: Any) -> Dispatcher:
    """The Dispatcher with its storage, middlewares and routers, each update's `ws` opened by
    `workspaces`; their parts and `workflow` are injected."""
    settings, session_factory, clock = workspaces.settings, workspaces.sessions, workspaces.clock
    dp = Dispatcher(
        # Drafts are stamped with the same clock the draft-expiry job measures age by.
        storage=DatabaseStorage.with_own_pool(
            settings.database_url, keys=identity_keys(settings), clock=clock
        ),
        # Registered below, inside the unit of work: the state it reads for routing comes
        # from the update's own session, not from a connection of its own.
        disable_fsm=True,
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        calendars=workspaces.calendars,
        media_store=workspaces.media,
        i18n=workspaces.i18n,  # the same catalog the locale middleware hands to handlers
        **workflow,
    )
    # Order matters: the log line wraps everything; the session exists before the FSM
    # state is read, the actor looked up and the workspace built on it; a refusal is
    # answered inside the unit of work; and the locale needs the actor's stored language.
    # The locale middleware sits on every observer but `update`, the errors observer
    # included: a refusal or an apology is in the user's language too.
    dp.update.outer_middleware(UpdateLogMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(ActorMiddleware(settings.admin_ids))
    dp.update.outer_middleware(WorkspaceMiddleware(workspaces))
    dp.update.outer_middleware(DomainErrorMiddleware(dp))
    LocaleMiddleware(workspaces.i18n).setup(dp)
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(ReachableMiddleware())
    for observer in (dp.message, dp.callback_query, dp.edited_message, dp.my_chat_member):
        observer.middleware(HandlerNameMiddleware())
    dp.include_routers(*get_routers())
    return dp
