"""The outbox dispatcher against the emulator, a real Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from sqlalchemy import select
from sqlmodel import col

from emulator.server import EmulatorServer
from outbox.dispatcher import (
    DispatchConfig,
    Outcome,
    list_dead,
    requeue_dead,
)
from storage.db import SessionFactory
from storage.media import MediaStore
from storage.models import CardMessage, Reporter
from storage.s3media import S3MediaStore
from tests.factories import add_department, add_ticket
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, free_port
from tests.scheduler.conftest import Outbox, deliver_in_background, jpeg
from tickets.clock import ManualClock


async def make_ticket(session_factory: SessionFactory, clock: ManualClock, user_id: int) -> int:
    department_id = await add_department(session_factory, "受理中心", is_intake=True)
    ticket = await add_ticket(
        session_factory,
        department_id,
        clock.now(),
        reporter_user_id=user_id,
        category="other",
        description="a test ticket",
        accept_by=None,
        resolve_by=None,
    )
    return ticket.id or 0


async def test_each_chat_gets_its_messages_in_order(outbox: Outbox) -> None:
    chats = await outbox.users(3)
    for chat in chats:
        await outbox.queue(chat, [f"{chat}-{n}" for n in range(6)])

    sent = await outbox.deliver()

    assert sent == 18
    for chat in chats:
        assert await outbox.texts(chat) == [f"{chat}-{n}" for n in range(6)]
    stored = await outbox.rows()
    assert {row.state for row in stored} == {"sent"}
    now = outbox.clock.now()
    assert all(row.sent_at == now and len(row.result_message_ids) == 1 for row in stored)


async def test_flaky_telegram_loses_nothing_and_breaks_no_limit(
    emulator: EmulatorServer, outbox: Outbox
) -> None:
    chats = await outbox.users(10)
    for chat in chats:
        await outbox.queue(chat, [f"{chat}:{n}" for n in range(5)])
    # One call in five fails: 429, 500, or no answer at all (the request is dropped).
    await outbox.client.set_faults(
        share_429=0.07, share_500=0.07, share_timeout=0.06, timeout_delay=1.5, seed=11
    )

    outcomes: list[Outcome] = []
    dispatcher = outbox.make_dispatcher(on_outcome=outcomes.append)
    await deliver_in_background(dispatcher, outbox.session_factory, outbox.clock)

    for chat in chats:
        assert await outbox.texts(chat) == [f"{chat}:{n}" for n in range(5)]
    assert await outbox.states() == {"sent": 50}
    stats = await outbox.client.stats()
    assert sum(stats.faults.values()) > 0
    # What the metrics count: every 429 answer, and each row sent once.
    assert outcomes.count(Outcome.SENT) == 50
    assert outcomes.count(Outcome.RATE_LIMITED) == stats.faults.get("429", 0) > 0
    assert stats.limit_violations == 0


async def test_blocked_user_is_marked_unreachable(outbox: Outbox) -> None:
    blocked, other = await outbox.users(2)
    async with outbox.session_factory() as session, session.begin():
        session.add_all([Reporter(channel_user_id=blocked), Reporter(channel_user_id=other)])
    await outbox.client.set_blocked(blocked)
    await outbox.queue(blocked, ["your ticket was accepted"])
    await outbox.queue(other, ["hello"])

    await outbox.deliver()

    dead, sent = await outbox.rows()
    assert dead.state == "dead" and "blocked" in (dead.last_error or "")
    assert sent.state == "sent"
    async with outbox.session_factory() as session:
        found = await session.execute(
            select(col(Reporter.channel_user_id), col(Reporter.reachable))
        )
        reachable = {row[0]: row[1] for row in found}
    assert reachable == {blocked: False, other: True}
    assert await outbox.texts(other) == ["hello"]


class CrashAfterSend(BaseRequestMiddleware):
    """Kills the dispatcher right after Telegram answered its `nth` call."""

    def __init__(self, nth: int) -> None:
        self.nth = nth
        self.calls = 0
        self.victim: asyncio.Task[None] | None = None

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        self.calls += 1
        if self.calls == self.nth and self.victim is not None:
            self.victim.cancel()  # the process dies: nothing after the send runs
            await asyncio.Event().wait()
        return response


async def test_crash_between_send_and_commit_resends_only_that_message(
    bot: Bot, outbox: Outbox
) -> None:
    (chat,) = await outbox.users(1)
    texts = [f"m{n}" for n in range(8)]
    await outbox.queue(chat, texts)
    crash = CrashAfterSend(nth=4)
    bot.session.middleware(crash)
    first = outbox.make_dispatcher()
    crash.victim = asyncio.create_task(first.run())
    with contextlib.suppress(asyncio.CancelledError):
        await crash.victim
    bot.session.middleware.unregister(crash)
    assert await outbox.texts(chat) == texts[:4]
    assert [row.state for row in await outbox.rows()][:5] == [
        "sent",
        "sent",
        "sent",
        "sending",
        "pending",
    ]

    restarted = outbox.make_dispatcher()
    assert await restarted.recover() == 1
    await outbox.deliver(restarted)

    assert await outbox.texts(chat) == [*texts[:4], "m3", *texts[4:]]
    assert await outbox.states() == {"sent": 8}


async def test_media_from_the_store_is_uploaded(media: MediaStore, outbox: Outbox) -> None:
    (chat,) = await outbox.users(1)
    red, blue = media.put(jpeg((200, 0, 0))), media.put(jpeg((0, 0, 200)))
    await outbox.add(chat, "sendPhoto", {"photo": f"media:{red}", "caption": "one"})
    album = [
        {"type": "photo", "media": f"media:{red}", "caption": "two"},
        {"type": "photo", "media": f"media:{blue}"},
    ]
    await outbox.add(chat, "sendMediaGroup", {"media": album})
    await outbox.add(chat, "sendPhoto", {"photo": f"media:{'0' * 64}"})

    await outbox.deliver()

    single, grouped, missing = await outbox.rows()
    assert single.state == grouped.state == "sent"
    assert len(grouped.result_message_ids) == 2
    assert missing.state == "dead" and "media not in the store" in (missing.last_error or "")
    photos = [m for m in await outbox.client.transcript(chat) if m.from_bot]
    assert [m.caption for m in photos] == ["one", "two", None]
    assert all(m.photo for m in photos)
    assert photos[1].media_group_id is not None
    assert photos[1].media_group_id == photos[2].media_group_id


async def test_photos_in_a_bucket_are_uploaded_and_an_outage_is_retried(
    outbox: Outbox, s3: S3Server, bucket: str
) -> None:
    def store(name: str, url: str) -> S3MediaStore:
        return S3MediaStore(
            name, endpoint_url=url, access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY, region=REGION,
        )  # fmt: skip

    (chat,) = await outbox.users(1)
    sha = await asyncio.to_thread(store(bucket, s3.url).put, jpeg((0, 150, 0)))
    await outbox.add(chat, "sendPhoto", {"photo": f"media:{sha}"})
    await outbox.deliver(outbox.make_dispatcher(media=store(bucket, s3.url)))
    (sent,) = await outbox.rows()
    assert sent.state == "sent"

    await outbox.add(chat, "sendPhoto", {"photo": f"media:{sha}"})
    down = store(bucket, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    await outbox.make_dispatcher(media=down).send_due()

    _, waiting = await outbox.rows()
    # An unreachable bucket is an outage to wait out, not a message to give up on.
    assert waiting.state == "pending" and waiting.attempts == 1


async def test_card_is_recorded_and_an_unchanged_edit_counts_as_sent(outbox: Outbox) -> None:
    (chat,) = await outbox.users(1)
    ticket_id = await make_ticket(outbox.session_factory, outbox.clock, chat)
    await outbox.queue(chat, ["card v1"], purpose="card", ticket_id=ticket_id)
    dispatcher = outbox.make_dispatcher()
    await outbox.deliver(dispatcher)
    async with outbox.session_factory() as session:
        card = await session.scalar(select(CardMessage))
    assert card is not None and card.ticket_id == ticket_id and card.chat_id == chat

    edit = {"message_id": card.message_id, "text": "card v1"}
    await outbox.add(chat, "editMessageText", edit, purpose="card_edit")
    await outbox.add(chat, "editMessageText", {**edit, "text": "card v2"})
    await outbox.deliver(dispatcher)

    assert await outbox.states() == {"sent": 3}
    (shown,) = [m for m in await outbox.client.transcript(chat) if m.from_bot]
    assert shown.text == "card v2" and shown.edits == 1


async def test_refused_message_is_dead_and_listed_for_administrators(outbox: Outbox) -> None:
    (chat,) = await outbox.users(1)
    await outbox.queue(chat, ["", "after the bad one"])

    await outbox.deliver()

    async with outbox.session_factory() as session:
        (dead,) = await list_dead(session)
    assert "message text is empty" in (dead.last_error or "")
    assert await outbox.texts(chat) == ["after the bad one"]  # a dead row holds nobody back
    async with outbox.session_factory() as session, session.begin():
        assert await requeue_dead(session, ids=[dead.id or 0], now=outbox.clock.now()) == 1
    assert (await outbox.rows())[0].state == "pending"


async def test_server_errors_back_off_exponentially_then_give_up(
    emulator: EmulatorServer, outbox: Outbox
) -> None:
    clock = outbox.clock
    (chat,) = await outbox.users(1)
    (row_id,) = await outbox.queue(chat, ["never arrives"])
    await outbox.client.set_faults(share_500=1.0)
    config = DispatchConfig(max_attempts=4, backoff_base=10.0, backoff_max=1000.0)
    outcomes: list[Outcome] = []
    dispatcher = outbox.make_dispatcher(config=config, on_outcome=outcomes.append)
    started = clock.now()
    delays = []
    for _ in range(3):
        await dispatcher.send_due()
        (row,) = await outbox.rows()
        delays.append((row.not_before - clock.now()).total_seconds())
        clock.set(row.not_before)
    await dispatcher.send_due()

    (row,) = await outbox.rows()
    assert row.id == row_id and row.state == "dead" and row.attempts == 4
    assert "Internal Server Error" in (row.last_error or "")
    assert outcomes == [Outcome.RETRY] * 3 + [Outcome.DEAD]  # what the metrics count
    # Exponential with jitter in [50 %, 100 %] of 10 s, 20 s, 40 s.
    for delay, ceiling in zip(delays, (10, 20, 40), strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert clock.now() - started >= timedelta(seconds=sum(delays))


async def test_new_rows_are_sent_on_commit_without_waiting_for_the_poll(outbox: Outbox) -> None:
    (chat,) = await outbox.users(1)
    dispatcher = outbox.make_dispatcher(config=DispatchConfig(poll_interval=60.0))
    await dispatcher.start()
    await asyncio.sleep(0.05)  # the first poll has found nothing
    seq = (await outbox.client.chat(chat)).last_seq

    await outbox.queue(chat, ["right away"])

    actions = await outbox.client.wait_for_bot_message(chat, seq, timeout=2.0)
    assert [action.message.text for action in actions] == ["right away"]
