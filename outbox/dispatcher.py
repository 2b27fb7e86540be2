"""The outbox dispatcher: sends OutboxMessage rows through a channel adapter, in order per
chat, retried. The wire (Telegram's Bot API, WeChat's customer-service API) is the adapter's:
`outbox.channel`. A dispatcher sends only the rows of its adapter's channel, so each channel
runs its own wherever that channel is served.

Rows of one chat go out one at a time in id order (a row waiting for its retry holds back the
rows behind it, so a reporter never reads the survey before the reply it asks about); chats
are served concurrently up to a bound. Pacing is the Bot's own request middleware
(`outbox.pacing`): the dispatcher never takes rate tokens itself, it only asks the adapter
for the limiter's wait to put a chat aside instead of parking a worker on it. A 429 moves the
row's `not_before` by `retry_after`; 5xx, network errors and timeouts retry with exponential
backoff and jitter until `max_attempts`, then the row is "dead" with its last error; 403 marks
the reporter unreachable and the row dead; "message is not modified" counts as sent; any other
refusal is dead at once; a channel that may write only after the person wrote (WeChat's
48-hour window) keeps the row, costing no attempt, until `release_waiting` on their next
message. Dead rows stay in the table for administrators (`list_dead`,
`requeue_dead`). New rows are sent as soon as their transaction commits (a commit hook wakes
the dispatcher), with a short poll as the fallback.

Delivery is at least once, with a narrow window. A row is marked "sending" and committed
before the Bot API call, and marked "sent" in a second transaction after it. A crash between
the two (or a timeout whose request did reach Telegram) leaves the row "sending", and the next
start sends it again: at most one duplicate per chat (one row per chat is ever in flight), at
most `concurrency` in all. Telegram makes this unavoidable: the Bot API has no idempotency key
and no way to ask whether a message was delivered, so after an unanswered call "maybe sent"
can only become "sent twice" or "lost", and an unanswered notification is worse than a repeat.
Edits are idempotent (a repeat is "message is not modified"), so only new messages can repeat.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import structlog
from aiogram import Bot
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from config.tasks import end_task, end_tasks
from outbox.channel import ChannelAdapter, Failure, FailureKind, PayloadError
from outbox.ratelimit import RateLimiter
from outbox.telegram import CHANNEL as TELEGRAM
from outbox.telegram import TelegramChannel
from storage.db import SessionFactory
from storage.identity import lookup_hash
from storage.media import MediaStore
from storage.models import CardMessage, OutboxMessage, Reporter
from storage.rows import rows_changed
from tickets.clock import Clock
from tickets.ports import DeadMessage

log = structlog.get_logger(__name__)

_OUTBOX_WRITTEN = "snapreport.outbox_written"
_RECORD_RETRIES = (0.2, 0.5, 1.0)  # seconds between tries to record a send's outcome


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class Outcome(StrEnum):
    """What happened to one send, for the metrics (a counter per outcome)."""

    SENT = "sent"
    RETRY = "retry"  # a transient failure, tried again later
    RATE_LIMITED = "rate_limited"  # Telegram answered 429
    DEAD = "dead"  # given up


OutcomeHook = Callable[[Outcome], None]


@dataclass(frozen=True)
class DispatchConfig:
    """How hard the dispatcher tries, how fast it notices new rows, and how wide it runs."""

    poll_interval: float = 0.5
    # A few workers saturate 30 messages/s (chats that must wait are set aside, not waited
    # on); more only queue for the database, which on SQLite means busy-handler stalls.
    concurrency: int = 16
    max_attempts: int = 10
    backoff_base: float = 2.0
    backoff_max: float = 900.0
    # 429s are the limiter's business and cost no attempt, up to this many per row.
    max_flood_waits: int = 20
    request_timeout: int = 60
    # Put a chat aside (rather than hold a worker) when its next message must wait longer.
    defer_threshold: float = 0.25
    stop_grace: float = 5.0
    recover_every: float = 30.0

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.max_attempts < 1 or self.request_timeout < 1:
            raise ValueError("concurrency, max_attempts and request_timeout must be positive")
        if self.poll_interval <= 0 or self.backoff_base <= 0 or self.backoff_max <= 0:
            raise ValueError("intervals must be positive")


def load_media(store: MediaStore | None, shas: Iterable[str]) -> dict[str, bytes]:
    """Read the files a row uploads (blocking: run it in a thread)."""
    wanted = sorted(shas)
    if wanted and store is None:
        raise PayloadError("the row uploads media but no media store is configured")
    try:
        return {sha: store.get(sha) for sha in wanted} if store else {}
    except (FileNotFoundError, ValueError) as error:
        raise PayloadError(f"media not in the store: {error}") from None


# -- repository functions ---------------------------------------------------------------------


def _is_chat_head() -> Any:
    """True for a row that no earlier unsent row of its chat holds back."""
    earlier = aliased(OutboxMessage)
    return ~(
        select(col(earlier.id))
        .where(
            col(earlier.chat_hash) == col(OutboxMessage.chat_hash),
            col(earlier.channel) == col(OutboxMessage.channel),
            col(earlier.state).in_((OutboxState.PENDING, OutboxState.SENDING)),
            col(earlier.id) < col(OutboxMessage.id),
        )
        .exists()
    )


async def due_heads(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    channel: str = TELEGRAM,
    busy: Collection[str] = (),
) -> list[OutboxMessage]:
    """The first unsent row of each chat of `channel`, where that row is due now; oldest first.

    Chats whose `chat_hash` is in `busy` (being served, or waiting out their rate limit) are
    passed over by id and hash alone: loading, and decrypting, a row for each of a thousand
    waiting chats on every look for work is what made a burst slow.
    """
    keys = await session.execute(
        select(col(OutboxMessage.id), col(OutboxMessage.chat_hash))
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.state) == OutboxState.PENDING,
            col(OutboxMessage.not_before) <= now,
            _is_chat_head(),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit + len(busy))
    )
    wanted = [row_id for row_id, chat_hash in keys if chat_hash not in busy][:limit]
    if not wanted:
        return []
    rows = await session.scalars(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(wanted))
        .order_by(col(OutboxMessage.id))
    )
    return list(rows)


async def chat_head(
    session: AsyncSession, *, chat_id: int, channel: str = TELEGRAM
) -> OutboxMessage | None:
    """The first row of a chat still to be sent (pending or in flight)."""
    return cast(
        OutboxMessage | None,
        await session.scalar(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.channel) == channel,
                col(OutboxMessage.chat_hash) == lookup_hash(session, chat_id),
                col(OutboxMessage.state).in_((OutboxState.PENDING, OutboxState.SENDING)),
            )
            .order_by(col(OutboxMessage.id))
            .limit(1)
        ),
    )


async def next_due_at(session: AsyncSession, *, channel: str = TELEGRAM) -> datetime | None:
    """When the next row may be sent: the earliest `not_before` among the chats' first rows.

    None when nothing is pending; in the past when something is due now.
    """
    return cast(
        datetime | None,
        await session.scalar(
            select(func.min(col(OutboxMessage.not_before))).where(
                col(OutboxMessage.channel) == channel,
                col(OutboxMessage.state) == OutboxState.PENDING,
                _is_chat_head(),
            )
        ),
    )


async def release_waiting(
    session: AsyncSession, *, channel: str, chat_id: int, now: datetime
) -> int:
    """Make a person's postponed rows due now: they just wrote, so the channel lets us answer.

    For WeChat's 48-hour window; a quota wait released early only costs one refused call.
    Wakes the dispatchers when the caller commits.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_hash) == lookup_hash(session, chat_id),
            col(OutboxMessage.state) == OutboxState.PENDING,
            col(OutboxMessage.not_before) > now,
        )
        .values(not_before=now)
    )
    released = rows_changed(result)
    if released:
        session.info[_OUTBOX_WRITTEN] = True
    return released


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    """How many rows are in each state."""
    rows = await session.execute(
        select(col(OutboxMessage.state), func.count()).group_by(col(OutboxMessage.state))
    )
    return {state: int(count) for state, count in rows}


async def list_dead(
    session: AsyncSession, *, limit: int = 50, offset: int = 0, ticket_id: int | None = None
) -> list[OutboxMessage]:
    """Rows the dispatcher gave up on, newest first, with their `last_error`."""
    statement = select(OutboxMessage).where(col(OutboxMessage.state) == OutboxState.DEAD)
    if ticket_id is not None:
        statement = statement.where(col(OutboxMessage.ticket_id) == ticket_id)
    rows = await session.scalars(
        statement.order_by(col(OutboxMessage.id).desc()).offset(offset).limit(limit)
    )
    return list(rows)


async def count_dead(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).where(col(OutboxMessage.state) == OutboxState.DEAD)
    )
    return int(count or 0)


async def requeue_dead(session: AsyncSession, *, ids: Iterable[int], now: datetime) -> int:
    """Give dead rows a fresh set of attempts (after the cause was fixed); returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(list(ids)), col(OutboxMessage.state) == OutboxState.DEAD)
        .values(state=OutboxState.PENDING, attempts=0, not_before=now)
    )
    return rows_changed(result)


class OutboxDeadLetters:
    """`tickets.ports.DeadLetters` on the update's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def newest(self, *, limit: int) -> list[DeadMessage]:
        return [
            DeadMessage(
                id=row.id or 0,
                method=row.method,
                purpose=row.purpose,
                to_group=row.chat_id < 0,
                ticket_id=row.ticket_id,
                attempts=row.attempts,
                last_error=row.last_error,
            )
            for row in await list_dead(self._session, limit=limit)
        ]

    async def requeue(self, *, ids: Collection[int], now: datetime) -> int:
        return await requeue_dead(self._session, ids=ids, now=now)


async def purge_sent(session: AsyncSession, *, older_than: datetime) -> int:
    """Forget rows sent before `older_than` (the ticket's events are the audit trail)."""
    result = await session.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.state) == OutboxState.SENT,
            col(OutboxMessage.sent_at) < older_than,
        )
    )
    return rows_changed(result)


DeadHook = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]


# -- the dispatcher ---------------------------------------------------------------------------


class OutboxDispatcher:
    """Sends due outbox rows of one channel; one instance per process, see `scheduler.lock`.

    Telegram's through `bot` unless another channel's adapter is passed as `channel`.
    """

    def __init__(
        self,
        bot: Bot | None,
        session_factory: SessionFactory,
        *,
        clock: Clock,
        limiter: RateLimiter | None = None,
        media: MediaStore | None = None,
        config: DispatchConfig | None = None,
        on_dead: DeadHook | None = None,
        rng: random.Random | None = None,
        channel: ChannelAdapter | None = None,
        on_outcome: OutcomeHook | None = None,
    ) -> None:
        if channel is None:
            if bot is None:
                raise ValueError("a dispatcher needs a Bot or another channel's adapter")
            channel = TelegramChannel(
                bot, limiter=limiter, request_timeout=(config or DispatchConfig()).request_timeout
            )
        self._channel: ChannelAdapter = channel
        self.channel_name = channel.name
        self._sessions = session_factory
        self._clock = clock
        self._limiter = limiter
        self._media = media
        self.config = config or DispatchConfig()
        self._on_dead = on_dead
        self._rng = rng or random.Random()
        # Keyed by the row's `chat_hash`: known without decrypting the row.
        self._active: dict[str, asyncio.Task[None]] = {}
        self._deferred: dict[str, float] = {}  # chat -> loop time it may be served again
        self._flood_waits: dict[int, int] = {}
        self._wakeup = asyncio.Event()
        self._changed = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._on_outcome = on_outcome
        self.sent = 0

    # -- life cycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def start(self) -> None:
        """Send in the background (see `run`) until `stop`."""
        if not self.running:
            self._runner = asyncio.create_task(self.run(), name="outbox-dispatcher")

    async def run(self) -> None:
        """Take over rows a previous run left in flight, then send due rows until cancelled.

        Cancelling this task is a crash as far as the rows are concerned: calls in flight are
        abandoned and their rows stay "sending" until the next `recover`.
        """
        self._stopping = False
        await self.recover()
        self._watch_commits()
        try:
            await self._loop_forever()
        finally:
            self._unwatch_commits()
            await end_tasks(self._active.values())

    async def stop(self) -> None:
        """Stop taking rows, let calls in flight finish (up to `stop_grace`), then cancel."""
        self._stopping = True
        self._unwatch_commits()
        workers = list(self._active.values())
        if workers:
            await asyncio.wait(workers, timeout=self.config.stop_grace)
        runner, self._runner = self._runner, None
        if runner is not None:
            await end_task(runner)
        await end_tasks(self._active.values())

    def wake(self) -> None:
        """Look for due rows now (called after a commit that wrote outbox rows)."""
        self._wakeup.set()

    async def recover(self) -> int:
        """Return rows left "sending" by a crashed run to "pending" (they may be re-sent).

        Only call it while holding the runner lock; rows of chats this instance is sending to
        right now are left alone.
        """
        async with self._sessions() as session, session.begin():
            rows = list(
                await session.scalars(
                    select(OutboxMessage).where(
                        col(OutboxMessage.channel) == self.channel_name,
                        col(OutboxMessage.state) == OutboxState.SENDING,
                        col(OutboxMessage.chat_hash).not_in(list(self._active)),
                    )
                )
            )
            for row in rows:
                row.attempts += 1
                row.last_error = "interrupted between send and commit; sent again"
                if row.attempts >= self.config.max_attempts:
                    await self._kill(session, row, "interrupted too often")
                else:
                    row.state = OutboxState.PENDING
        if rows:
            log.warning("outbox_recovered", rows=len(rows))
        return len(rows)

    async def send_due(self) -> int:
        """Send every row due now (waiting out rate limits) and return how many were sent.

        Rows postponed to later (by a retry or `not_before`) are left for a later call: with a
        ManualClock, move the clock and call again.
        """
        loop = asyncio.get_running_loop()
        before = self.sent
        while True:
            self._changed.clear()
            started = await self._pump()
            if self._active:
                await self._changed.wait()
                continue
            if started:
                continue
            pending = [at for at in self._deferred.values() if at > loop.time()]
            if not pending:
                return self.sent - before
            await asyncio.sleep(min(pending) - loop.time())

    # -- scheduling chats -------------------------------------------------------------------

    async def _loop_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_recovery = loop.time() + self.config.recover_every
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self._pump()
                if loop.time() >= next_recovery:
                    next_recovery = loop.time() + self.config.recover_every
                    await self.recover()
            except Exception:  # the database may be briefly unavailable: poll again
                log.exception("outbox_pump_failed")
            wait = self.config.poll_interval
            if self._deferred:
                wait = min(wait, max(0.0, min(self._deferred.values()) - loop.time()))
            await self._sleep_until_woken(wait)

    async def _sleep_until_woken(self, seconds: float) -> None:
        """Wait for `wake()` or `seconds`, whichever comes first.

        Not `asyncio.timeout` + `suppress(TimeoutError)`: on Python 3.11 a `cancel()` that
        lands as the timeout expires comes out as TimeoutError, is suppressed, and `stop()`
        then waits for ever on a loop that never ends.
        """
        woken = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({woken}, timeout=seconds)
        finally:
            woken.cancel()

    async def _pump(self) -> int:
        """Start a worker for each chat whose first row is due, up to the concurrency bound."""
        if self._stopping:
            return 0
        free = self.config.concurrency - len(self._active)
        if free <= 0:
            return 0
        now_loop = asyncio.get_running_loop().time()
        self._deferred = {chat: at for chat, at in self._deferred.items() if at > now_loop}
        async with self._sessions() as session:
            heads = await due_heads(
                session,
                now=self._clock.now(),
                limit=free,
                channel=self.channel_name,
                busy=self._active.keys() | self._deferred.keys(),
            )
        started = 0
        for row in heads:
            # Checked again: another pump (the loop's, or `send_due`'s) may have taken the
            # chat while this one awaited the query; two workers for a chat break its order.
            if len(self._active) >= self.config.concurrency:
                break
            if row.chat_hash in self._active or row.chat_hash in self._deferred:
                continue
            task = asyncio.create_task(self._serve_chat(row), name=f"outbox-chat-{row.id}")
            self._active[row.chat_hash] = task
            started += 1
        return started

    async def _serve_chat(self, row: OutboxMessage) -> None:
        """Send a chat's due rows one after another until one must wait."""
        chat = row.chat_hash
        current: OutboxMessage | None = row
        try:
            while current is not None and not self._stopping:
                wait = self._rate_wait(current)
                if wait > self.config.defer_threshold:
                    self._deferred[chat] = asyncio.get_running_loop().time() + wait
                    return
                await self._deliver(current)
                async with self._sessions() as session:
                    head = await chat_head(
                        session, chat_id=current.chat_id, channel=self.channel_name
                    )
                now = self._clock.now()
                current = (
                    head
                    if head is not None
                    and head.state == OutboxState.PENDING
                    and head.not_before <= now
                    else None
                )
        except Exception:
            log.exception("outbox_chat_failed", row_id=row.id)
        finally:
            self._active.pop(chat, None)
            self._changed.set()
            self._wakeup.set()

    def _rate_wait(self, row: OutboxMessage) -> float:
        return self._channel.rate_wait(row.chat_id, row.method, row.payload)

    # -- one row ----------------------------------------------------------------------------

    async def _deliver(self, row: OutboxMessage) -> None:
        claimed = await self._claim(row)
        if claimed is None:
            return
        try:
            refs = self._channel.media_refs(claimed.payload)
            files = await asyncio.to_thread(load_media, self._media, refs)
            ids = await self._channel.deliver(
                claimed.chat_id, claimed.method, claimed.payload, files
            )
        except Exception as error:  # not CancelledError: a crash here leaves the row "sending"
            failure = self._channel.classify(error)
            if failure.kind is FailureKind.NOT_MODIFIED:
                await self._record(self._mark_sent, claimed, _edited_ids(claimed))
            else:
                await self._record(self._mark_failed, claimed, failure)
        else:
            await self._record(self._mark_sent, claimed, ids)

    async def _claim(self, row: OutboxMessage) -> OutboxMessage | None:
        """Mark the row "sending" and commit, so a restart knows it may have gone out."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row.id,
                    col(OutboxMessage.state) == OutboxState.PENDING,
                )
                .values(state=OutboxState.SENDING)
            )
            if rows_changed(result) != 1:
                return None  # taken or changed meanwhile
            # Re-read: the payload may have been rewritten since the row was listed.
            return await session.get(OutboxMessage, row.id, populate_existing=True)

    async def _record(self, mark: Callable[..., Awaitable[None]], *args: Any) -> None:
        for pause in (*_RECORD_RETRIES, None):
            try:
                await mark(*args)
                return
            except Exception:
                if pause is None:
                    # Left "sending": the periodic recovery sends it again.
                    log.exception("outbox_record_failed")
                    return
                await asyncio.sleep(pause)

    async def _mark_sent(self, sent: OutboxMessage, ids: list[int]) -> None:
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            # Locked: a card rewritten by a transaction still open (`ticket_changed`) is
            # read once that commits, so the comparison below sees the new payload.
            row = await session.get(
                OutboxMessage, sent.id, populate_existing=True, with_for_update=True
            )
            if row is None:
                return
            row.state = OutboxState.SENT
            row.sent_at = now
            row.result_message_ids = ids
            if row.purpose == "card" and row.ticket_id is not None and ids:
                await _save_card(session, row.ticket_id, row.chat_id, ids[0])
                if row.payload != sent.payload:
                    # Rewritten while in flight: what Telegram shows is stale, so edit it.
                    session.add(_refresh_card(row, ids[0], now))
        self._flood_waits.pop(sent.id or 0, None)
        self.sent += 1
        self._tell(Outcome.SENT)

    async def _mark_failed(self, failed: OutboxMessage, failure: Failure) -> None:
        now = self._clock.now()
        row_id = failed.id or 0
        async with self._sessions() as session, session.begin():
            row = await session.get(OutboxMessage, row_id, populate_existing=True)
            if row is None:
                return
            row.last_error = failure.reason[:2000]
            row.state = OutboxState.PENDING
            kind = failure.kind
            if kind is FailureKind.FLOOD:
                self._tell(Outcome.RATE_LIMITED)
                waits = self._flood_waits[row_id] = self._flood_waits.get(row_id, 0) + 1
                if waits <= self.config.max_flood_waits:
                    row.not_before = now + timedelta(seconds=failure.retry_after)
                else:
                    kind = FailureKind.TRANSIENT
            if kind is FailureKind.TRANSIENT:
                row.attempts += 1
                if row.attempts >= self.config.max_attempts:
                    await self._kill(session, row, failure.reason)
                else:
                    delay = max(self._backoff(row.attempts), failure.retry_after)
                    row.not_before = now + timedelta(seconds=delay)
                    self._tell(Outcome.RETRY)
            elif kind is FailureKind.WINDOW:
                row.not_before = now + timedelta(seconds=failure.retry_after)
                log.info("outbox_waiting_for_person", row_id=row_id)
            elif kind is FailureKind.UNAUTHORIZED:
                row.not_before = now + timedelta(seconds=self.config.backoff_max)
                log.error("outbox_unauthorized", row_id=row_id)
            elif kind is FailureKind.MIGRATED and failure.migrate_to is not None:
                row.chat_id = failure.migrate_to
                row.payload = {**row.payload, "chat_id": failure.migrate_to}
            elif kind is FailureKind.BLOCKED:
                if row.chat_id > 0:
                    await session.execute(
                        update(Reporter)
                        .where(
                            col(Reporter.channel) == row.channel,
                            col(Reporter.user_hash) == lookup_hash(session, row.chat_id),
                        )
                        .values(reachable=False)
                    )
                await self._kill(session, row, failure.reason)
            elif kind is FailureKind.PERMANENT:
                await self._kill(session, row, failure.reason)
        if kind not in (FailureKind.FLOOD, FailureKind.TRANSIENT):
            self._flood_waits.pop(row_id, None)
        log.info("outbox_send_failed", row_id=row_id, kind=str(kind), attempts=row.attempts)

    def _tell(self, outcome: Outcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    async def _kill(self, session: AsyncSession, row: OutboxMessage, reason: str) -> None:
        self._tell(Outcome.DEAD)
        row.state = OutboxState.DEAD
        row.last_error = reason[:2000]
        self._flood_waits.pop(row.id or 0, None)
        log.warning("outbox_dead", row_id=row.id, method=row.method, purpose=row.purpose)
        if self._on_dead is not None:
            await self._on_dead(session, row)

    def _backoff(self, attempts: int) -> float:
        ceiling = min(self.config.backoff_max, self.config.backoff_base * 2.0 ** (attempts - 1))
        return ceiling * self._rng.uniform(0.5, 1.0)

    # -- waking on commit -------------------------------------------------------------------

    def _watch_commits(self) -> None:
        self._loop = asyncio.get_running_loop()
        if not event.contains(Session, "after_flush", _note_outbox_rows):
            event.listen(Session, "after_flush", _note_outbox_rows)
        if not event.contains(Session, "after_commit", self._after_commit):
            event.listen(Session, "after_commit", self._after_commit)

    def _unwatch_commits(self) -> None:
        if event.contains(Session, "after_commit", self._after_commit):
            event.remove(Session, "after_commit", self._after_commit)
        # The flush hook is shared by every dispatcher and harmless: it only sets a flag.

    def _after_commit(self, session: Session) -> None:
        if not session.info.pop(_OUTBOX_WRITTEN, False):
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # Commits happen on the loop's thread, but a sync session in a worker thread
            # must not touch the Event directly.
            loop.call_soon_threadsafe(self._wakeup.set)


def _note_outbox_rows(session: Session, _context: Any) -> None:
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info[_OUTBOX_WRITTEN] = True


def _edited_ids(row: OutboxMessage) -> list[int]:
    message_id = row.payload.get("message_id")
    return [message_id] if isinstance(message_id, int) else []


async def _save_card(session: AsyncSession, ticket_id: int, chat_id: int, message_id: int) -> None:
    card = await session.scalar(
        select(CardMessage).where(
            col(CardMessage.ticket_id) == ticket_id,
            col(CardMessage.chat_hash) == lookup_hash(session, chat_id),
        )
    )
    if card is None:
        session.add(CardMessage(ticket_id=ticket_id, chat_id=chat_id, message_id=message_id))
    else:
        card.message_id = message_id  # a card sent again after a crash: edit the newest


def _refresh_card(row: OutboxMessage, message_id: int, now: datetime) -> OutboxMessage:
    payload: dict[str, Any] = {
        key: row.payload[key]
        for key in ("chat_id", "text", "parse_mode", "reply_markup", "entities")
        if key in row.payload
    }
    return OutboxMessage(
        idempotency_key=f"{row.idempotency_key}:refresh"[:128],
        channel=row.channel,
        chat_id=row.chat_id,
        method="editMessageText",
        payload={**payload, "message_id": message_id},
        ticket_id=row.ticket_id,
        purpose="card_edit",
        not_before=now,
        created_at=now,
    )


__all__ = [
    "DispatchConfig",
    "OutboxDispatcher",
    "OutboxState",
    "count_by_state",
    "count_dead",
    "due_heads",
    "list_dead",
    "next_due_at",
    "purge_sent",
    "release_waiting",
    "requeue_dead",
]
