"""The composition root: builds every long-lived object once and runs the bot.

`SnapreportApp` is used by `snapreport run`, by the demo and by the test fixtures, so
the code that runs in tests is the code that runs in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from functools import partial

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update, User
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiogram.utils.i18n import I18n
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_bot, create_dispatcher
from bot.holidays_file import load_calendar
from bot.inbox import Inbox, LaneScheduler
from bot.webhook import WEBHOOK_PATH, webhook_app
from bot.workspace import workspace
from config.settings import Settings, webhook_secret_problem
from handlers.album_panels import AlbumPanels
from outbox.notifier import dead_letter_hook
from outbox.pacing import DIRECT_ANSWER
from outbox.ratelimit import RateLimits, TelegramRateLimiter
from scheduler.digests import DigestConfig
from scheduler.runner import SchedulerConfig, SnapreportScheduler, start_scheduler
from storage.db import SessionFactory, create_session_factory, engine_for, identity_keys
from storage.images import ImageLimits
from storage.media import MediaStore
from storage.migrate import upgrade
from tickets.clock import Clock, SystemClock
from tickets.holidays import WorkingCalendar
from ui.commands import set_commands
from ui.i18n import create_i18n

log = structlog.get_logger(__name__)
POLL_BACKOFF = BackoffConfig(min_delay=0.5, max_delay=10.0, factor=1.6, jitter=0.1)


class BadTokenError(RuntimeError):
    """The Bot API server refused BOT_TOKEN (HTTP 401)."""


class InsecureWebhookError(RuntimeError):
    """Webhook mode without a strong WEBHOOK_SECRET: anyone could post updates as anyone."""


def rate_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        global_per_second=settings.rate_global_per_second,
        private_per_second=settings.rate_private_per_second,
        group_per_minute=settings.rate_group_per_minute,
    )


@dataclass
class SnapreportApp:
    """Everything the running bot needs, built in one place from `Settings`."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    calendar: WorkingCalendar = field(init=False)
    engine: AsyncEngine = field(init=False)
    session_factory: SessionFactory = field(init=False)
    limiter: TelegramRateLimiter = field(init=False)
    i18n: I18n = field(init=False)
    media_store: MediaStore = field(init=False)
    bot: Bot = field(init=False)
    dp: Dispatcher = field(init=False)
    me: User | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        # First: a broken HOLIDAYS_FILE stops start-up before anything is opened.
        self.calendar = load_calendar(self.settings.holidays_file)
        # Without IDENTITY_KEY nothing starts: identities are never stored in the clear.
        self.engine = engine_for(self.settings)
        self.session_factory = create_session_factory(self.engine)
        self.limiter = TelegramRateLimiter(rate_limits(self.settings))
        self.i18n = create_i18n(self.settings.default_language)
        self.media_store = MediaStore(self.settings.media_dir)
        self.album_panels = AlbumPanels(settle_seconds=self.settings.album_settle_seconds)
        self.bot = create_bot(self.settings, self.limiter)
        self.dp = create_dispatcher(
            settings=self.settings,
            session_factory=self.session_factory,
            i18n=self.i18n,
            clock=self.clock,
            calendar=self.calendar,
            limiter=self.limiter,
            media_store=self.media_store,
            image_limits=ImageLimits(),
            album_panels=self.album_panels,
        )
        self.inbox = Inbox(self.session_factory)
        self.lanes = LaneScheduler(self._handle, concurrency=self.settings.tasks_concurrency_limit)
        self._poller: asyncio.Task[None] | None = None
        self._web_runner: web.AppRunner | None = None
        self.scheduler: SnapreportScheduler | None = None

    async def start(self) -> None:
        """Migrate, check the token, set the menu, replay unhandled updates, start polling."""
        if problem := webhook_secret_problem(self.settings):
            raise InsecureWebhookError(problem)
        if self.settings.auto_migrate:
            await asyncio.to_thread(
                upgrade, self.settings.database_url, keys=identity_keys(self.settings)
            )
        self.me = await self._check_token()
        with self.i18n.context():
            await set_commands(self.bot, self.i18n, admin_ids=self.settings.admin_ids)
        await self.dp.emit_startup(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)
        self.scheduler = await start_scheduler(
            bot=self.bot,
            engine=self.engine,
            session_factory=self.session_factory,
            clock=self.clock,
            make_workspace=partial(
                workspace,
                clock=self.clock,
                settings=self.settings,
                i18n=self.i18n,
                calendar=self.calendar,
            ),
            i18n=self.i18n,
            limiter=self.limiter,
            media=self.media_store,
            config=SchedulerConfig(
                draft_ttl_hours=self.settings.draft_ttl_hours,
                digests=(
                    DigestConfig(self.settings, self.calendar)
                    if self.settings.digests_enabled
                    else None
                ),
            ),
            on_dead=dead_letter_hook(self.i18n, self.settings, self.clock),
        )
        for row in await self.inbox.pending():
            self.lanes.submit(Update.model_validate(row.payload, context={"bot": self.bot}))
        if self.settings.webhook_url:
            await self._start_webhook()
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(self._poll(), name="polling")
        log.info("bot_started", username=self.me.username, api=self.settings.telegram_api_url)

    async def run_forever(self) -> None:
        await self.start()
        try:
            if self._poller is not None:
                await self._poller
            else:
                await asyncio.Event().wait()  # the webhook server runs until cancelled
        finally:
            await self.stop()

    async def _start_webhook(self) -> None:
        if self.settings.webhook_secret is None:  # start() refused it already; kept explicit
            raise InsecureWebhookError("WEBHOOK_SECRET is not set")
        secret = self.settings.webhook_secret.get_secret_value()
        app = webhook_app(self.receive, secret=secret, context_bot=self.bot)
        self._web_runner = web.AppRunner(app)
        await self._web_runner.setup()
        site = web.TCPSite(
            self._web_runner, self.settings.webhook_host, self.settings.webhook_port
        )
        await site.start()
        await self.bot.set_webhook(
            f"{self.settings.webhook_url}{WEBHOOK_PATH}",
            secret_token=secret,
            allowed_updates=self.dp.resolve_used_update_types(),
        )

    async def receive(self, update: Update) -> None:
        """Persist an update (once), then queue it in its user's lane."""
        for fresh in await self.inbox.store([update]):
            self.lanes.submit(fresh)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._web_runner is not None:
            await self._web_runner.cleanup()
            self._web_runner = None
        await self.lanes.close()
        # After the lanes: a photo handled last may still have scheduled a refresh. What is
        # cancelled here is remembered in the drafts and sent at the next start.
        await self.album_panels.close()
        if self.scheduler is not None:
            await self.scheduler.stop()  # lets sends in flight finish and be recorded
            self.scheduler = None
        await self.dp.emit_shutdown(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)
        await self.bot.session.close()
        await self.engine.dispose()

    async def _check_token(self) -> User:
        try:
            return await self.bot.get_me()
        except TelegramUnauthorizedError as error:
            raise BadTokenError(
                f"The Bot API server at {self.settings.telegram_api_url} refused BOT_TOKEN "
                "(401 Unauthorized): check the token from @BotFather in .env."
            ) from error

    async def _poll(self) -> None:
        backoff = Backoff(POLL_BACKOFF)
        timeout = self.settings.poll_timeout
        request = GetUpdates(timeout=timeout, allowed_updates=self.dp.resolve_used_update_types())
        while True:
            try:
                updates = await self.bot(request, request_timeout=timeout + 30)
            except (
                TelegramNetworkError,
                TelegramServerError,
                TelegramRetryAfter,
                # Another getUpdates still open (a previous instance's long poll): retry.
                TelegramConflictError,
            ) as error:
                log.warning("polling_failed", error=type(error).__name__)
                await backoff.asleep()
                continue
            backoff.reset()
            if not updates:
                continue
            # Durable first: the next getUpdates (with the new offset) confirms them.
            for update in await self.inbox.store(updates):
                self.lanes.submit(update)
            request.offset = updates[-1].update_id + 1

    async def _handle(self, update: Update) -> None:
        token = DIRECT_ANSWER.set(True)
        try:
            await self.dp.feed_update(self.bot, update)
        finally:
            DIRECT_ANSWER.reset(token)
        await self.inbox.mark_handled(update.update_id)
