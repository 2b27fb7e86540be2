"""The composition root: builds every long-lived object once and runs the bot.

`SnapreportApp` is used by `snapreport run`, by the demo and by the test fixtures, so
the code that runs in tests is the code that runs in production.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.fsm.context import FSMContext
from aiogram.methods import GetUpdates
from aiogram.types import Update, User
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiogram.utils.i18n import I18n
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.console_app import ConsoleBackend, console_server
from bot.factory import create_bot, create_dispatcher
from bot.holidays_file import load_calendar
from bot.inbox import Inbox, InboxReceipt, LaneScheduler, ReceiveHealth, ReceiveStalled, lane_key
from bot.metrics import AppMetrics, HandlerTrace, HandlerTraceMiddleware
from bot.ops_http import Ops, add_ops_routes, ops_app
from bot.webhook import WEBHOOK_PATH, webhook_app
from bot.workspace import Workspaces, workspace
from config.settings import Settings, webhook_secret_problem
from config.tasks import end_task
from console.web import mount_console
from handlers.album_panels import AlbumPanels
from handlers.reporter import PANEL_OWED, ReportDraft, resume_album_panel
from outbox.notifier import dead_letter_hook
from outbox.pacing import DIRECT_ANSWER
from outbox.ratelimit import RateLimiter, RateLimits, TelegramRateLimiter
from scheduler.admin_notices import notify_admins_once
from scheduler.digests import DigestConfig
from scheduler.retention import RetentionPolicy
from scheduler.runner import SchedulerConfig, SnapreportScheduler, start_scheduler
from storage.calendar_days import ReplicaCalendar
from storage.categories import ReplicaCategories
from storage.db import SessionFactory, create_session_factory, engine_for, identity_keys
from storage.fsm import DatabaseStorage
from storage.identity import keys_of
from storage.media import MediaStore, PhotoWorkers
from storage.mediastores import open_media_store
from storage.migrate import upgrade
from storage.models import InboxUpdate
from storage.ops import OpsCounts, ops_counts
from storage.txwatch import WriteTransactionWatch
from tickets.clock import Clock, SystemClock
from tickets.ports import Workspace

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.lanelock import LaneLocks
from ui.categories import remember
from ui.commands import set_commands
from ui.i18n import create_i18n
from ui.render import quarantine_notice

log = structlog.get_logger(__name__)
POLL_BACKOFF = BackoffConfig(min_delay=0.5, max_delay=10.0, factor=1.6, jitter=0.1)
# What the database may throw at the receive loop and the lanes: a busy SQLite, a dropped
# PostgreSQL connection (asyncpg can raise a bare OSError while connecting).
STORAGE_ERRORS = (SQLAlchemyError, OSError)
REPLAY_BATCH = 20  # pending updates loaded and queued at a time after a restart
MARK_RETRIES = (0.2, 1.0)  # seconds between tries to mark an update handled
STOP_TIMEOUT = 20.0


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
    calendars: ReplicaCalendar = field(init=False)
    engine: AsyncEngine = field(init=False)
    session_factory: SessionFactory = field(init=False)
    limiter: RateLimiter = field(init=False)
    i18n: I18n = field(init=False)
    media_store: MediaStore = field(init=False)
    workspaces: Workspaces = field(init=False)
    bot: Bot = field(init=False)
    dp: Dispatcher = field(init=False)
    me: User | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        # First: a broken HOLIDAYS_FILE stops start-up before anything is opened.
        self.calendars = ReplicaCalendar(
            load_calendar(self.settings.holidays_file), clock=self.clock
        )
        # Without IDENTITY_KEY nothing starts: identities are never stored in the clear.
        self.engine = engine_for(self.settings)
        self.write_watch = WriteTransactionWatch(self.settings.slow_write_seconds)
        self.write_watch.install(self.engine)
        self.session_factory = create_session_factory(self.engine)
        # REDIS_URL: replicas share the rate limits and take a lock per user's lane.
        self.redis, self.lane_locks = self._connect_redis()
        self.limiter = self._make_limiter()
        self.i18n = create_i18n(self.settings.default_language)
        self.media_store = open_media_store(self.settings)
        self.photo_workers = PhotoWorkers(
            self.settings.photo_workers, pool=self.settings.photo_pool
        )
        # Settled means handled: a refresh waits while the chat's lane still has updates.
        self.album_panels = AlbumPanels(
            settle_seconds=self.settings.album_settle_seconds,
            busy=lambda chat_id: self.lanes.busy(chat_id),
        )
        self.bot = create_bot(self.settings, self.limiter, clock=self.clock)
        # The chat's updates and the console's requests alike (the console takes no photos).
        self.workspaces = Workspaces(
            sessions=self.session_factory,
            clock=self.clock,
            settings=self.settings,
            i18n=self.i18n,
            calendars=self.calendars,
            categories=ReplicaCategories(clock=self.clock),
            media=self.media_store,
            photo_workers=self.photo_workers,
        )
        self.dp = create_dispatcher(
            workspaces=self.workspaces, limiter=self.limiter, album_panels=self.album_panels
        )
        if isinstance(self.dp.storage, DatabaseStorage) and self.dp.storage.owned_engine:
            self.write_watch.install(self.dp.storage.owned_engine)
        self.metrics = AppMetrics(counts=self._ops_counts, is_leader=self._is_leader)
        for name, observer in self.dp.observers.items():
            if name not in ("update", "error"):
                observer.middleware(HandlerTraceMiddleware())
        self.ops = Ops(
            engine=self.engine,
            media=self.media_store,
            metrics=self.metrics,
            redis_url=self.settings.redis_url,
            alive=lambda: self.healthy,
        )
        self._ops_runner: web.AppRunner | None = None
        self.inbox = Inbox(self.session_factory)
        self.lanes = LaneScheduler(
            self._handle,
            concurrency=self.settings.tasks_concurrency_limit,
            hold=self._hold_lane if self.lane_locks is not None else None,
        )
        self.receive_health = ReceiveHealth()
        self.poll_backoff = POLL_BACKOFF
        self.replay_batch = REPLAY_BATCH
        self._poller: asyncio.Task[None] | None = None
        # Stored updates queued again at start: each handling begun is counted.
        self._replaying: set[int] = set()
        # Set by stop(): the receive loop ends even if a cancel was turned into an error.
        self._stopping = False
        self._fatal: asyncio.Future[None] | None = None
        self._web_runner: web.AppRunner | None = None
        self._console_runner: web.AppRunner | None = None
        self.console = ConsoleBackend(**vars(self.workspaces), bot=self.bot)
        self.scheduler: SnapreportScheduler | None = None

    def _connect_redis(self) -> tuple[Redis | None, LaneLocks | None]:
        """A Redis client and the lane locks on it, when REDIS_URL names a server.

        Imported here, not at the top: a bot without Redis does not hold the client in memory.
        """
        if not self.settings.redis_url:
            return None, None
        from bot.lanelock import LaneLocks
        from storage.redisstore import open_redis

        redis = open_redis(self.settings.redis_url)
        return redis, LaneLocks(redis)

    def _make_limiter(self) -> RateLimiter:
        limits = rate_limits(self.settings)
        if self.redis is None:
            return TelegramRateLimiter(limits)
        from outbox.redislimit import RedisRateLimiter

        keys = keys_of(self.engine)
        return RedisRateLimiter(self.redis, limits, chat_name=keys.lookup_hash)

    def workspace(self, session: AsyncSession) -> Workspace:
        """The domain's ports on `session`, with this app's clock, settings and calendar (as
        last loaded: the scheduler's per-replica job keeps it fresh)."""
        return workspace(
            session,
            clock=self.clock,
            settings=self.settings,
            i18n=self.i18n,
            calendar=self.calendars.current,
        )

    async def start(self) -> None:
        """Migrate, check the token, set the menu, replay unhandled updates, start polling."""
        if problem := webhook_secret_problem(self.settings):
            raise InsecureWebhookError(problem)
        if self.settings.auto_migrate:
            await asyncio.to_thread(
                upgrade, self.settings.database_url, keys=identity_keys(self.settings)
            )
        self.me = await self._check_token()
        async with self.session_factory() as session:
            # Scheduled digests render outside any update: give them the table as it is now.
            remember(await self.workspaces.categories.fresh(session))
            await self.calendars.fresh(session)
        with self.i18n.context():
            await set_commands(self.bot, self.i18n, admin_ids=self.settings.admin_ids)
        await self.dp.emit_startup(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)
        await self._resume_album_panels()
        self.scheduler = await start_scheduler(
            bot=self.bot,
            engine=self.engine,
            session_factory=self.session_factory,
            clock=self.clock,
            make_workspace=self.workspace,
            i18n=self.i18n,
            limiter=self.limiter,
            media=self.media_store,
            config=SchedulerConfig(
                draft_ttl_hours=self.settings.draft_ttl_hours,
                retention=RetentionPolicy.from_settings(self.settings),
                digests=(
                    DigestConfig(self.settings, self.calendars.base)
                    if self.settings.digests_enabled
                    else None
                ),
                calendars=self.calendars,
                categories=self.workspaces.categories,
            ),
            on_dead=dead_letter_hook(self.i18n, self.settings, self.clock),
            on_outcome=self.metrics.outbox_outcome,
        )
        self._fatal = asyncio.get_running_loop().create_future()
        self._stopping = False
        replayed = await self._replay_pending()
        if self.settings.webhook_url:
            await self._start_webhook()
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(self._poll(), name="polling")
            self._poller.add_done_callback(self._poller_ended)
            if self.settings.console_url and self.settings.wechat_app_id:
                # WeChat's endpoint takes WEBHOOK_PORT in this mode (`bot.wechat_app`).
                log.warning("console_not_served", reason="WECHAT_APP_ID holds WEBHOOK_PORT")
            elif self.settings.console_url:
                await self._start_console_server()
        if self.settings.metrics_port is not None:
            await self._start_ops_server(self.settings.metrics_port)
        log.info(
            "bot_started",
            username=self.me.username,
            api=self.settings.telegram_api_url,
            replayed=replayed,
        )

    async def _resume_album_panels(self) -> None:
        """Send the panels owed for albums that arrived just before the bot stopped."""
        storage = self.dp.storage
        if not isinstance(storage, DatabaseStorage):
            return
        adding_photos = ReportDraft.adding_photos.state or ""
        owed = await storage.keys_with(state=adding_photos, field=PANEL_OWED)
        for key, data in owed:
            resume_album_panel(
                self.bot,
                FSMContext(storage, key),
                chat_id=key.chat_id,
                locale=str(data[PANEL_OWED]),
                album_panels=self.album_panels,
                i18n=self.i18n,
            )
        if owed:
            log.info("album_panels_resumed", count=len(owed))

    async def run_forever(self) -> None:
        """Run until cancelled, or raise `ReceiveStalled` when updates can no longer be taken
        in: a process that answers nobody must exit so that its supervisor restarts it."""
        await self.start()
        try:
            assert self._fatal is not None
            await self._fatal
        finally:
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self.stop()
            except TimeoutError:
                log.error("stop_timed_out", seconds=STOP_TIMEOUT)

    @property
    def healthy(self) -> bool:
        """Updates are being received and stored (what `/healthz` reports)."""
        dead = self._fatal is not None and self._fatal.done()
        polling = self._poller is None or not self._poller.done()
        return not dead and polling and self.receive_health.ok

    async def _replay_pending(self) -> int:
        """Queue the updates a previous run stored but did not finish, oldest first.

        A page at a time, waiting for the lanes to work the backlog down before loading the
        next, so a long outage's backlog is never all in memory; all of it is queued before
        polling starts, so each user's new updates line up behind their old ones.
        """
        after, replayed = 0, 0
        while rows := await self.inbox.pending(after=after, limit=self.replay_batch):
            after = rows[-1].update_id
            set_aside = await self.inbox.set_aside_failing(rows)
            await self._tell_set_aside(set_aside)
            skipped = {row.update_id for row in set_aside}
            for row in rows:
                if row.update_id not in skipped:
                    self._replaying.add(row.update_id)
                    self.lanes.submit(
                        Update.model_validate(row.payload, context={"bot": self.bot})
                    )
                    replayed += 1
            await self.lanes.backlog_below(self.replay_batch)
        return replayed

    async def _tell_set_aside(self, rows: Sequence[InboxUpdate]) -> None:
        """Log each quarantined update and tell the administrators (by update id only)."""
        for row in rows:
            failures = row.attempts + 1
            log.error("update_quarantined", update_id=row.update_id, failures=failures)
            await notify_admins_once(
                self.session_factory,
                clock=self.clock,
                settings=self.settings,
                i18n=self.i18n,
                render=partial(quarantine_notice, row.update_id, failures),
                key=f"inbox:quarantine:{row.update_id}",
                purpose="inbox_quarantine",
            )

    async def _start_webhook(self) -> None:
        if self.settings.webhook_secret is None:  # start() refused it already; kept explicit
            raise InsecureWebhookError("WEBHOOK_SECRET is not set")
        secret = self.settings.webhook_secret.get_secret_value()
        app = webhook_app(self.receive, secret=secret, context_bot=self.bot)
        if self.settings.metrics_port is None:  # else they get a server of their own
            add_ops_routes(app, self.ops)
        if self.settings.console_url:
            mount_console(app, self.console)
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

    async def _start_console_server(self) -> None:
        """Polling mode has no webhook server: the console gets WEBHOOK_HOST:WEBHOOK_PORT."""
        self._console_runner = web.AppRunner(console_server(self.console))
        await self._console_runner.setup()
        site = web.TCPSite(
            self._console_runner, self.settings.webhook_host, self.settings.webhook_port
        )
        await site.start()

    async def _start_ops_server(self, port: int) -> None:
        self._ops_runner = web.AppRunner(ops_app(self.ops))
        await self._ops_runner.setup()
        await web.TCPSite(self._ops_runner, self.settings.metrics_host, port).start()

    async def _ops_counts(self) -> OpsCounts:
        async with self.session_factory() as session:
            return await ops_counts(session, now=self.clock.now())

    def _is_leader(self) -> bool:
        return self.scheduler is not None and self.scheduler.is_leader

    async def receive(self, update: Update) -> None:
        """Persist an update (once), then queue it in its user's lane.

        Raises when it cannot be stored, so the webhook answers 500 and Telegram retries.
        """
        try:
            await self._accept([update])
        except STORAGE_ERRORS as error:
            self._receive_failed(error)
            raise

    async def _accept(self, updates: list[Update]) -> None:
        for fresh in await self.inbox.store(updates):
            self.lanes.submit(fresh)
        self.receive_health.succeeded()

    def _receive_failed(self, error: BaseException) -> None:
        try:
            self.receive_health.failed(error, asyncio.get_running_loop().time())
        except ReceiveStalled as stalled:
            self._die(stalled)
            raise

    def _poller_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and not self._stopping:  # stop() ends it; else fatal
            self._die(task.exception() or ReceiveStalled("the polling loop ended"))

    def _die(self, error: BaseException) -> None:
        if self._fatal is None or self._fatal.done():
            return  # already dying (the stalled poller ends after reporting it)
        log.error("receiving_stopped", error=str(error) or type(error).__name__)
        self._fatal.set_exception(error)

    async def stop(self) -> None:
        self._stopping = True
        if self._fatal is not None:
            if self._fatal.done():
                self._fatal.exception()  # seen: run_forever (if any) has raised it
            else:
                self._fatal.cancel()
            self._fatal = None
        if self._poller is not None:
            # A poller that ended with `ReceiveStalled` has said so through `_fatal` already;
            # re-raising it here would leave everything below unclosed.
            await end_task(self._poller)
            self._poller = None
        if self._web_runner is not None:
            await self._web_runner.cleanup()
            self._web_runner = None
        if self._ops_runner is not None:
            await self._ops_runner.cleanup()
            self._ops_runner = None
        if self._console_runner is not None:
            await self._console_runner.cleanup()
            self._console_runner = None
        await self.lanes.close()
        # After the lanes: a photo handled last may still have scheduled a refresh. What is
        # cancelled here is remembered in the drafts and sent at the next start.
        await self.album_panels.close()
        if self.scheduler is not None:
            await self.scheduler.stop()  # lets sends in flight finish and be recorded
            self.scheduler = None
        await self.dp.emit_shutdown(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)
        # Nothing is in flight after the lanes: this only ends the workers, off the loop.
        await asyncio.to_thread(self.photo_workers.close, wait=True)
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
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
        """Long-poll, store, confirm: an update is durable before the next offset confirms it.

        Telegram errors and storage errors back off and retry with one log line each; a
        storage outage past `receive_health`'s budget raises `ReceiveStalled`, which ends
        the process (see `run_forever`).
        """
        backoff = Backoff(self.poll_backoff)
        timeout = self.settings.poll_timeout
        request = GetUpdates(timeout=timeout, allowed_updates=self.dp.resolve_used_update_types())
        while not self._stopping:
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
            try:
                await self._accept(updates)
            except STORAGE_ERRORS as error:
                # Not confirmed (the offset stays put), so Telegram hands them out again.
                self._receive_failed(error)
                await backoff.asleep()
                continue
            backoff.reset()
            if updates:
                request.offset = updates[-1].update_id + 1

    def _lane_of(self, update: Update) -> str:
        """The keyed hash naming the update's lane (in the inbox and in Redis)."""
        return keys_of(self.engine).lookup_hash(lane_key(update))

    def _hold_lane(self, update: Update) -> AbstractAsyncContextManager[None]:
        assert self.lane_locks is not None
        return self.lane_locks.hold(self._lane_of(update))

    async def _handle(self, update: Update) -> None:
        """Handle an update; with lane locks (REDIS_URL), the lane's older ones first."""
        if self.lane_locks is None:
            await self._handle_one(update)
            return
        try:
            rows = await self.inbox.pending_in_lane(self._lane_of(update), upto=update.update_id)
        except STORAGE_ERRORS as error:
            log.warning("update_left_pending", update_id=update.update_id, error=repr(error))
            return
        if not rows or rows[-1].update_id != update.update_id:
            # Handled meanwhile by the replica that held the lane before us.
            self._replaying.discard(update.update_id)
        for row in rows:
            if row.update_id == update.update_id:
                current = update
            else:
                # Stored by another replica (still waiting for this lock, or dead): handled
                # here, in order. Counted like a replay, since its handling may have begun.
                current = Update.model_validate(row.payload, context={"bot": self.bot})
                self._replaying.add(row.update_id)
            if not await self._handle_one(current):
                return  # left pending: the lane's next holder starts from it, in order

    async def _handle_one(self, update: Update) -> bool:
        """Handle one update; mark it handled unless storage failed (then it is replayed).

        A handler that raised anything else would raise again on every restart, so it is
        logged and marked handled rather than replayed for ever. False: left pending.
        """
        token = DIRECT_ANSWER.set(True)
        trace = HandlerTrace()
        receipt = InboxReceipt(update.update_id)
        started = time.perf_counter()
        try:
            if update.update_id in self._replaying:
                self._replaying.discard(update.update_id)
                await self.inbox.begin_replay(update.update_id)
            await self.dp.feed_update(self.bot, update, metrics_trace=trace, inbox_receipt=receipt)
        except STORAGE_ERRORS as error:
            log.warning("update_left_pending", update_id=update.update_id, error=repr(error))
            return False
        except Exception:
            log.exception("update_failed", update_id=update.update_id)
        finally:
            DIRECT_ANSWER.reset(token)
            self.metrics.observe_update(update, trace, time.perf_counter() - started)
        if not receipt.marked:  # its unit of work rolled back, or it had none
            await self._mark_handled(update.update_id)
        return True

    async def _mark_handled(self, update_id: int) -> None:
        """Record the update as handled; if storage refuses, it is replayed at the next start,
        where its committed effects make it a no-op."""
        for pause in (*MARK_RETRIES, None):
            try:
                await self.inbox.mark_handled(update_id)
                return
            except STORAGE_ERRORS as error:
                if pause is None:
                    log.warning("mark_handled_failed", update_id=update_id, error=repr(error))
                    return
                await asyncio.sleep(pause)
