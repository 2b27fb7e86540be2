"""What a restart, a late button press and a failing database must not cost a citizen.

The bot is stopped and started in-process (the SIGKILL version is tests/crash); presses made
while it is down are aged past Telegram's answer window through the emulator's control API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import structlog
from aiogram.types import Update
from aiogram.utils.backoff import BackoffConfig
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.app import SnapreportApp
from bot.inbox import ReceiveHealth, ReceiveStalled
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from storage.fsm import DatabaseStorage
from storage.migrate import upgrade
from storage.models import InboxUpdate
from tests.conversations.staff import deliver
from tests.conversations.steps import count_tickets, to_preview
from tests.factories import text_update
from tickets.clock import ManualClock


async def test_a_press_too_old_to_answer_still_files_the_report(
    citizen: ChatUser,
    app: SnapreportApp,
    settings: Settings,
    clock: ManualClock,
    client: EmulatorClient,
) -> None:
    await to_preview(citizen)
    await app.stop()
    answer = await citizen.press("Confirm", wait=0)  # pressed while the bot is down
    assert await client.expire_callbacks() == 1  # ... and down longer than Telegram waits
    restarted = SnapreportApp(settings, clock=clock)
    await restarted.start()
    try:
        filed = await citizen.expect("Tracking code")
        assert "filed" in filed.content
        assert await count_tickets(restarted) == 1
        assert not answer.answered
    finally:
        await restarted.stop()


class Recorder:
    """Outer update middleware: which updates were handled, and the backlog at the time."""

    def __init__(self, app: SnapreportApp) -> None:
        self.app = app
        self.handled: list[int] = []
        self.backlog: list[int] = []

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.handled.append(event.update_id)
        self.backlog.append(self.app.lanes.backlog)
        return await handler(event, data)


async def test_pending_updates_replay_in_order_a_few_at_a_time_before_new_ones(
    settings: Settings, clock: ManualClock, client: EmulatorClient
) -> None:
    citizen = await client.chat_user(first_name="Wei", language_code="en")
    other = await client.chat_user(first_name="Li", language_code="en")
    await asyncio.to_thread(upgrade, settings.database_url)
    app = SnapreportApp(settings, clock=clock)
    app.replay_batch = 3
    recorder = Recorder(app)
    app.dp.update.outer_middleware(recorder)
    backlog = [text_update(900 + n, citizen if n % 3 else other, "/help") for n in range(12)]
    assert len(await app.inbox.store(reversed(backlog))) == 12  # stored out of order
    await app.start()
    try:
        await citizen.send("/help")  # new: must queue behind the citizen's replayed updates
        await app.lanes.idle()
        replayed = [u for u in recorder.handled if u >= 900]
        assert sorted(replayed) == [u.update_id for u in backlog]
        mine = [u.update_id for u in backlog if u.message and u.message.chat.id == citizen.id]
        citizen_order = [u for u in recorder.handled if u in mine or u < 900]
        assert citizen_order == [*mine, citizen_order[-1]] and citizen_order[-1] < 900
        assert max(recorder.backlog) < 2 * app.replay_batch  # never the whole backlog
        assert await app.inbox.pending() == []
        assert await app.inbox.store(backlog) == []  # a redelivery is not handled again
    finally:
        await app.stop()


def separate_marks(app: SnapreportApp) -> list[int]:
    """The update ids `app` marks handled on a transaction of their own (not with effects)."""
    marked: list[int] = []
    real = app.inbox.mark_handled

    async def mark_handled(update_id: int) -> None:
        marked.append(update_id)
        await real(update_id)

    app.inbox.mark_handled = mark_handled  # type: ignore[method-assign]
    return marked


async def three_updates(citizen: ChatUser, app: SnapreportApp) -> None:
    """/lang, a press on English, /help: three updates, all handled."""
    await citizen.send("/lang")
    await citizen.expect("Choose your language")
    await citizen.press("English")
    await citizen.send("/help")
    await citizen.expect("/status")
    await app.lanes.idle()


async def test_an_update_is_marked_handled_in_the_commit_of_its_effects(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    marked = separate_marks(app)

    await three_updates(citizen, app)

    assert marked == []  # no write transaction of its own
    assert await app.inbox.pending() == []
    async with app.session_factory() as session:
        rows = list(await session.scalars(select(InboxUpdate)))
    assert len(rows) == 3 and all(row.handled_at and row.payload == {} for row in rows)


async def test_an_update_reads_its_fsm_state_on_its_own_session(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    assert isinstance(app.dp.storage, DatabaseStorage) and app.dp.storage.owned_engine
    checkouts: list[object] = []
    own_pool = app.dp.storage.owned_engine.sync_engine.pool
    event.listen(own_pool, "checkout", lambda *_: checkouts.append(1))

    await three_updates(citizen, app)

    assert checkouts == []  # the storage's own pool is for work outside an update


class FailingHandler:
    """Outer update middleware inside the unit of work: a handler that raises a bug."""

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        await handler(event, data)  # its writes and answers happen, then it fails
        raise RuntimeError("a bug after the answer")


async def test_a_handler_that_raises_is_rolled_back_and_still_marked_handled(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    marked = separate_marks(app)
    app.dp.update.outer_middleware(FailingHandler())

    await citizen.send("/help")
    await citizen.expect("/status")
    await app.lanes.idle()

    assert len(marked) == 1  # the mark rolled back with the update: written on its own
    assert await app.inbox.pending() == []
    assert await app.inbox.store([text_update(marked[0], citizen, "/help")]) == []


def flaky_store(app: SnapreportApp, failures: int | None) -> Callable[..., Any]:
    """`app.inbox.store` failing like a locked SQLite `failures` times (None: for ever)."""
    real = app.inbox.store
    left = [failures]

    async def store(updates: Iterable[Update]) -> list[Update]:
        if left[0] is None or left[0] > 0:
            left[0] = None if left[0] is None else left[0] - 1
            raise OperationalError("INSERT INTO inbox_update", {}, Exception("database is locked"))
        return await real(updates)

    return store


QUICK_BACKOFF = BackoffConfig(min_delay=0.01, max_delay=0.05, factor=1.5, jitter=0.1)


async def test_the_receive_loop_backs_off_through_storage_errors_with_one_line_each(
    settings: Settings, clock: ManualClock, client: EmulatorClient
) -> None:
    citizen = await client.chat_user(first_name="Wei", language_code="en")
    app = SnapreportApp(settings, clock=clock)
    app.poll_backoff = QUICK_BACKOFF
    app.inbox.store = flaky_store(app, failures=3)  # type: ignore[method-assign]
    with structlog.testing.capture_logs() as logs:
        await app.start()
        try:
            await citizen.send("/help")
            await citizen.expect("/status")
            assert app.healthy
        finally:
            await app.stop()
    failed = [line for line in logs if line["event"] == "receive_failed"]
    assert [line["failures"] for line in failed] == [1, 2, 3]
    assert not any("exc_info" in line for line in failed)


async def test_a_receive_loop_that_cannot_store_ends_the_process(
    settings: Settings, clock: ManualClock
) -> None:
    app = SnapreportApp(settings, clock=clock)
    app.poll_backoff = QUICK_BACKOFF
    app.receive_health = ReceiveHealth(max_failures=3, budget=0.0)
    app.inbox.store = flaky_store(app, failures=None)  # type: ignore[method-assign]
    with pytest.raises(ReceiveStalled, match="3 times in a row"):
        async with asyncio.timeout(30):
            await app.run_forever()


class PoisonUpdate:
    """Wraps `feed_update`: one update's handling always ends in a storage error (the
    handler failed on the database, and so did the apology's commit)."""

    def __init__(self, update_id: int) -> None:
        self.update_id = update_id
        self.tries = 0

    def install(self, app: SnapreportApp) -> None:
        feed = app.dp.feed_update

        async def feed_or_fail(bot: Any, update: Update, **kwargs: Any) -> Any:
            if update.update_id == self.update_id:
                self.tries += 1
                raise OperationalError("UPDATE ticket ...", {}, Exception("disk I/O error"))
            return await feed(bot, update, **kwargs)

        app.dp.feed_update = feed_or_fail  # type: ignore[method-assign]


async def test_an_update_failing_three_times_is_set_aside_and_admins_are_told(
    settings: Settings, clock: ManualClock, client: EmulatorClient
) -> None:
    citizen = await client.chat_user(first_name="Wei", language_code="en")
    admin = await client.chat_user(user_id=min(settings.admin_ids), first_name="Admin")
    await asyncio.to_thread(upgrade, settings.database_url)
    poison = PoisonUpdate(update_id=777)
    stored = SnapreportApp(settings, clock=clock)
    assert await stored.inbox.store([text_update(777, citizen, "/help")])
    await stored.engine.dispose()
    # Stored by a run that died handling it: each start replays it, until the third failure.
    for start in range(3):
        app = SnapreportApp(settings, clock=clock)
        poison.install(app)
        await app.start()
        try:
            await app.lanes.idle()
            pending = [row.update_id for row in await app.inbox.pending()]
            assert pending == ([] if start == 2 else [777])
            await deliver(app)  # the admins' notice, before this run stops
        finally:
            await app.stop()

    assert poison.tries == 2
    notice = await admin.expect("update_id=777")  # in the default language, Chinese
    assert "消息 777 处理失败 3 次" in notice.content
    assert str(citizen.id) not in notice.content
    app = SnapreportApp(settings, clock=clock)
    poison.install(app)
    await app.start()
    try:
        await citizen.send("/help")  # the citizen's lane is free: new updates are handled
        await citizen.expect("/status")
        await app.lanes.idle()
        assert poison.tries == 2 and await app.inbox.pending() == []
    finally:
        await app.stop()
