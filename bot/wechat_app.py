"""The WeChat channel's composition: endpoint, push inbox, handling, API client, adapter.

Pushes are stored by the endpoint, answered `success`, then handled here one after
another by a `PushHandler`. `ReportFlow` is the one `snapreport run` uses: each push is
one unit of work around `handlers.wechat_report.answer` (the citizen's draft, status
look-ups), committed before its answers go out through the customer-service API, or
rolled back when the domain refuses it (then the refusal's text is the answer). A handler
that fails for a passing reason (rate limit, the 48-hour window, the network) leaves its
push pending for `sweep()`; any other failure marks it handled with the error.

Notices to WeChat reporters (outbox rows of channel `wechat`, written by the same notifier
as Telegram's) go out through the service's own outbox dispatcher. A row refused because
the follower last wrote more than 48 hours ago waits; their next push makes it due again,
in the push's unit of work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.holidays_file import load_calendar
from bot.wechat_endpoint import EndpointConfig, wechat_app
from bot.workspace import Workspaces
from config.logs import user_hash
from config.settings import Settings, wechat_problem
from config.tasks import end_task
from handlers.wechat_report import Turn, answer
from outbox.channel import FailureKind
from outbox.dispatcher import DispatchConfig, OutboxDispatcher, release_waiting
from outbox.notifier import dead_letter_hook
from outbox.wechat import CHANNEL as WECHAT
from outbox.wechat import WeChatChannel, chat_key
from storage.calendar_days import ReplicaCalendar
from storage.categories import ReplicaCategories
from storage.db import SessionFactory, create_session_factory, engine_for, identity_keys
from storage.directory import SecurityLog
from storage.mediastores import open_media_store
from storage.migrate import upgrade
from storage.redisstore import RedisTokenStore, open_redis
from storage.wechat import PushInbox, SqlTokenStore, WeChatDrafts, push_by_key
from tickets.clock import Clock, SystemClock
from tickets.errors import DomainError
from ui import wechat_text as texts
from ui.errors_text import error_text
from ui.i18n import create_i18n
from wechat.api import TokenStore, WeChatApi
from wechat.crypto import MessageCipher
from wechat.messages import Push, parse_push

log = structlog.get_logger(__name__)
SWEEP_SECONDS = 30.0
TRANSIENT_RETRY = timedelta(minutes=1)
# Quota refusals (45009 lasts until the next day) look again every 10 minutes for a week
# before the row counts attempts: none is given up while the quota merely ran out.
WECHAT_DISPATCH = DispatchConfig(concurrency=4, max_flood_waits=1008)


class InsecureWeChatError(RuntimeError):
    """The WeChat channel is configured without a usable secret, Token or AES key."""


class WeChatReplies:
    """What a handler may send: customer-service messages through the outbox adapter."""

    def __init__(self, channel: WeChatChannel) -> None:
        self._channel = channel

    async def text(self, open_id: str, content: str) -> None:
        payload = {"touser": open_id, "content": content}
        await self._channel.deliver(chat_key(open_id), "text", payload, {})


PushHandler = Callable[[Push, WeChatReplies], Awaitable[None]]


class ReportFlow:
    """The citizen's flow as a `PushHandler`: one unit of work per push, answers after it."""

    def __init__(
        self, settings: Settings, session_factory: SessionFactory, *, clock: Clock, api: WeChatApi
    ) -> None:
        self._settings = settings
        self._sessions = session_factory
        self._clock = clock
        self._api = api
        self._i18n = create_i18n(settings.default_language)
        self._workspaces = Workspaces(
            sessions=session_factory,
            clock=clock,
            settings=settings,
            i18n=self._i18n,
            calendars=ReplicaCalendar(load_calendar(settings.holidays_file), clock=clock),
            categories=ReplicaCategories(clock=clock),
            media=open_media_store(settings),
        )
        self._inbox = PushInbox(session_factory)

    async def __call__(self, push: Push, replies: WeChatReplies) -> None:
        texts, push_id, sent = await self._decide(push)
        for text in texts[sent:]:
            # After the commit: the step is taken, and WeChat's answer never holds a lock.
            # A failed send raises, the push stays pending, and its retry resends from here.
            await replies.text(push.from_user, text)
            if push_id is not None:
                await self._inbox.reply_sent(push_id)

    async def _decide(self, push: Push) -> tuple[list[str], int | None, int]:
        """Answer the push in one unit of work, or read the answers a first try decided."""
        language = self._settings.default_language
        with self._i18n.context(), self._i18n.use_locale(language):
            async with self._sessions() as session:
                row = await push_by_key(session, push.dedup_key)
                if row is not None and row.replies is not None:
                    return list(row.replies), row.id, row.replies_sent
                drafts = WeChatDrafts(session, now=self._clock.now)
                try:
                    async with self._workspaces.open(session) as ws:
                        turn = Turn(
                            ws, drafts, self._api, self._settings, push.from_user, language
                        )
                        texts = await answer(push, turn)
                except DomainError as error:
                    # Nothing of a refused step is kept; the step stays where it was.
                    await session.rollback()
                    log.info("wechat_refused", code=error.code)
                    texts = [error_text(error, self._settings.tz)]
                    row = await push_by_key(session, push.dedup_key)
                if row is not None:
                    row.replies = texts
                # The follower wrote: what waited for the 48-hour window may go now.
                await release_waiting(
                    session,
                    channel=WECHAT,
                    chat_id=chat_key(push.from_user),
                    now=self._clock.now(),
                )
                await session.commit()
                return texts, row.id if row is not None else None, 0


class WeChatService:
    """The WeChat channel on a session factory shared with (or apart from) Telegram."""

    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        *,
        clock: Clock,
        handler: PushHandler | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        if problem := wechat_problem(settings):
            raise InsecureWeChatError(problem)
        assert settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_token
        self._sessions = session_factory
        self._clock = clock
        self.inbox = PushInbox(session_factory)
        self.api = WeChatApi(
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret.get_secret_value(),
            store=token_store or SqlTokenStore(session_factory),
            now=clock.now,
            base_url=settings.wechat_api_url,
        )
        self.channel = WeChatChannel(self.api)
        self.replies = WeChatReplies(self.channel)
        self.dispatcher = OutboxDispatcher(
            None,
            session_factory,
            clock=clock,
            media=open_media_store(settings),
            config=WECHAT_DISPATCH,
            channel=self.channel,
            on_dead=dead_letter_hook(create_i18n(settings.default_language), settings, clock),
        )
        self._handler = handler or ReportFlow(settings, session_factory, clock=clock, api=self.api)
        aes = settings.wechat_aes_key
        self.endpoint = EndpointConfig(
            token=settings.wechat_token.get_secret_value(),
            cipher=MessageCipher(aes.get_secret_value(), settings.wechat_app_id) if aes else None,
        )
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def web_app(self) -> web.Application:
        return wechat_app(self.endpoint, store=self._store, forged=self._forged, fresh=self.submit)

    async def start(self) -> None:
        """Start handling, beginning with what a previous run stored but did not handle."""
        self._worker = asyncio.create_task(self._work(), name="wechat-pushes")
        await self.sweep()
        await self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()
        if self._worker is not None:
            await end_task(self._worker)
            self._worker = None
        await self.api.close()

    def submit(self, push_id: int) -> None:
        self._queue.put_nowait(push_id)

    async def sweep(self) -> int:
        """Queue every pending push whose retry time has come; return how many."""
        due = await self.inbox.list_pending(now=self._clock.now())
        for row in due:
            assert row.id is not None
            self.submit(row.id)
        return len(due)

    async def idle(self) -> None:
        """Wait until every queued push is handled (tests, shutdown)."""
        await self._queue.join()

    async def _store(self, push: Push, xml: str) -> int | None:
        return await self.inbox.add(
            dedup_key=push.dedup_key, open_id=push.from_user, msg_type=push.msg_type, xml=xml
        )

    async def _forged(self, open_id: str, what: str) -> None:
        actor = user_hash(chat_key(open_id)) if open_id else "-"
        async with self._sessions() as session, session.begin():
            await SecurityLog(session).record(
                actor_hash=actor, kind="wechat_forged_request", detail=what, at=self._clock.now()
            )

    async def _work(self) -> None:
        while True:
            push_id = await self._queue.get()
            try:
                await self._handle(push_id)
            except Exception:  # the worker must survive one bad push
                log.exception("wechat_push_failed", push_id=push_id)
            finally:
                self._queue.task_done()

    async def _handle(self, push_id: int) -> None:
        row = await self.inbox.get(push_id)
        if row is None or row.handled_at is not None or row.xml is None:
            return
        push = parse_push(row.xml)
        try:
            await self._handler(push, self.replies)
        except Exception as error:
            failure = self.channel.classify(error)
            now = self._clock.now()
            # Our credentials (UNAUTHORIZED) are fixed by an operator, not by giving up.
            if failure.kind in (
                FailureKind.FLOOD,
                FailureKind.WINDOW,
                FailureKind.TRANSIENT,
                FailureKind.UNAUTHORIZED,
            ):
                wait = timedelta(seconds=failure.retry_after) or TRANSIENT_RETRY
                await self.inbox.postpone(push_id, until=now + wait, error=failure.reason)
                log.info("wechat_push_postponed", push_id=push_id, kind=str(failure.kind))
            else:
                await self.inbox.mark_handled(push_id, at=now, error=failure.reason)
                log.warning("wechat_push_given_up", push_id=push_id, kind=str(failure.kind))
            return
        await self.inbox.mark_handled(push_id, at=self._clock.now())


class WeChatApp:
    """The WeChat channel alone (no BOT_TOKEN): its own engine and HTTP server."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        handler: PushHandler | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        # Reporters' OpenIDs and drafts are stored encrypted: IDENTITY_KEY is required.
        self.engine: AsyncEngine = engine_for(settings)
        self.session_factory = create_session_factory(self.engine)
        # With REDIS_URL the access_token is shared through Redis, else the database.
        self.redis = open_redis(settings.redis_url) if settings.redis_url else None
        self.service = WeChatService(
            settings,
            self.session_factory,
            clock=self.clock,
            handler=handler,
            token_store=RedisTokenStore(self.redis) if self.redis is not None else None,
        )
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.settings.auto_migrate:
            keys = identity_keys(self.settings)
            await asyncio.to_thread(upgrade, self.settings.database_url, keys=keys)
        await self.service.start()
        self._runner = web.AppRunner(self.service.web_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webhook_host, self.settings.webhook_port)
        await site.start()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="wechat-sweep")
        log.info("wechat_started", api=self.settings.wechat_api_url)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            await self.service.sweep()

    async def run_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        if self._sweeper is not None:
            await end_task(self._sweeper)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.service.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


async def place_qr_link(settings: Settings, tag: str) -> str:
    """WeChat's URL of a permanent QR code whose scene is the place tag `tag`."""
    async with account_api(settings) as api:
        return (await api.create_qrcode(tag)).url


async def install_menu(settings: Settings) -> dict[str, Any]:
    """Give the Official Account snapreport's custom menu, in the default language."""
    i18n = create_i18n(settings.default_language)
    with i18n.context(), i18n.use_locale(settings.default_language):
        menu = texts.menu()
    async with account_api(settings) as api:
        await api.create_menu(menu)
    return menu


@asynccontextmanager
async def account_api(settings: Settings) -> AsyncIterator[WeChatApi]:
    """The Official Account's API client, for a one-off command beside the service.

    The access token is taken from (and kept in) the store the running service shares, so
    the service's own token is not replaced behind its back.
    """
    assert settings.wechat_app_id and settings.wechat_app_secret
    await asyncio.to_thread(upgrade, settings.database_url, keys=identity_keys(settings))
    engine = engine_for(settings)
    redis = open_redis(settings.redis_url) if settings.redis_url else None
    store = RedisTokenStore(redis) if redis else SqlTokenStore(create_session_factory(engine))
    api = WeChatApi(
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret.get_secret_value(),
        store=store,
        now=SystemClock().now,
        base_url=settings.wechat_api_url,
    )
    try:
        yield api
    finally:
        await api.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()


async def run_channels(settings: Settings) -> None:
    """Run what is configured: Telegram (BOT_TOKEN), WeChat (WECHAT_APP_ID), or both.

    Both at once share the database but not the HTTP port: Telegram in webhook mode and
    WeChat both listen on WEBHOOK_HOST:WEBHOOK_PORT, so that pair is refused for now.
    """
    from bot.app import SnapreportApp

    if settings.wechat_app_id is None:
        await SnapreportApp(settings).run_forever()
        return
    if settings.bot_token is None:
        await WeChatApp(settings).run_forever()
        return
    if settings.webhook_url:
        raise InsecureWeChatError(
            "Telegram webhook mode (WEBHOOK_URL) and WeChat would both listen on "
            "WEBHOOK_PORT: run Telegram with long polling beside WeChat for now."
        )
    await asyncio.gather(SnapreportApp(settings).run_forever(), WeChatApp(settings).run_forever())
