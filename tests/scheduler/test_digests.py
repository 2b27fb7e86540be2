"""Digests on the controllable clock: the weekly digest to administrators on Monday 09:00,
the daily overdue list only to departments with carded tickets, the monthly figures to the
transparency channel; each once per period, however often its job runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.workspace import workspace
from config.settings import Settings
from emulator.client import EmulatorClient
from outbox.notifier import outbox_chat_id
from scheduler.digests import (
    JOB_MONTHLY,
    JOB_OVERDUE,
    JOB_WEEKLY,
    DigestConfig,
    DigestJob,
    digest_jobs,
)
from scheduler.runner import SchedulerConfig, start_scheduler
from storage.db import SessionFactory
from tests import factories
from tests.factories import add_department
from tests.scheduler.conftest import FAST, MakeDispatcher, Texts, deliver_all, rows
from tickets.clock import ManualClock
from tickets.holidays import PACKAGED
from ui.i18n import create_i18n

SHANGHAI = ZoneInfo("Asia/Shanghai")
I18N = create_i18n("en")
ADMINS = frozenset({900_000_001, 900_000_002})
SUPERVISOR = 800_000_001
GROUP = -100_500
CHANNEL = -1_001_234_567_890


def settings(**extra: Any) -> Settings:
    return Settings(_env_file=None, admin_ids=ADMINS, default_language="en", **extra)


def sh(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def params(session_factory: SessionFactory, clock: ManualClock) -> dict[str, Any]:
    return {"session_factory": session_factory, "clock": clock, "i18n": I18N}


def job(jobs: list[DigestJob], job_id: str) -> DigestJob:
    return next(j for j in jobs if j.id == job_id)


async def run_at_next_fire(digest: DigestJob, clock: ManualClock) -> int:
    """Move the clock to the job's next cron time after now, and run it there."""
    fire = digest.trigger.get_next_fire_time(None, clock.now() + timedelta(seconds=1))
    clock.set(fire)
    return await digest.func(**digest.params)


async def add_ticket(
    session_factory: SessionFactory, department_id: int, created: datetime, **fields: Any
) -> str:
    return (await factories.add_ticket(session_factory, department_id, created, **fields)).code


async def test_weekly_digest_goes_to_each_admin_on_monday_morning_once(
    session_factory: SessionFactory,
    clock: ManualClock,
    client: EmulatorClient,
    make_dispatcher: MakeDispatcher,
    bot_texts: Texts,
) -> None:
    for admin_id in ADMINS:
        await client.create_user(user_id=admin_id)
    office = await add_department(session_factory, "Housing Office")
    await add_ticket(session_factory, office, sh(3, 4, 10))  # clock: Mon 3 March 09:00
    await add_ticket(session_factory, office, sh(3, 9, 23), card="yellow")
    await add_ticket(session_factory, office, sh(3, 10, 8))  # next week already
    digest = job(
        digest_jobs(DigestConfig(settings()), **params(session_factory, clock)), JOB_WEEKLY
    )

    assert await run_at_next_fire(digest, clock) == 2
    assert clock.now() == sh(3, 10, 9)  # the next Monday, 09:00 local
    assert await digest.func(**digest.params) == 0  # a second run queues nothing new
    await deliver_all(make_dispatcher(), session_factory, clock)
    for admin_id in ADMINS:
        [text] = await bot_texts(admin_id)
        assert "Weekly digest · 2025-03-03 – 2025-03-09" in text
        assert "Received: 2" in text and "Housing Office: 2 received" in text
        assert "🟨 1" in text


async def test_overdue_list_reaches_only_departments_with_carded_tickets(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    carded = await add_department(session_factory, "Carded", supervisor=SUPERVISOR)
    grouped = await add_department(session_factory, "Grouped", group_chat_id=GROUP)
    calm = await add_department(session_factory, "Calm", supervisor=SUPERVISOR + 1)
    closed = await add_department(session_factory, "Closed", supervisor=SUPERVISOR + 2)
    yellow = await add_ticket(session_factory, carded, sh(2, 24), card="yellow")
    red = await add_ticket(session_factory, carded, sh(2, 20), card="red", state="accepted")
    in_group = await add_ticket(session_factory, grouped, sh(2, 25), card="red")
    fine = await add_ticket(session_factory, calm, sh(3, 3))
    await add_ticket(session_factory, closed, sh(2, 3), card="red", state="closed")
    digest = job(
        digest_jobs(DigestConfig(settings()), **params(session_factory, clock)), JOB_OVERDUE
    )

    assert await run_at_next_fire(digest, clock) == 2
    assert clock.now() == sh(3, 4, 8, 30)  # Tuesday, 08:30 local
    assert await digest.func(**digest.params) == 0
    queued = {row.chat_id: row.payload["text"] for row in await rows(session_factory)}
    assert set(queued) == {SUPERVISOR, GROUP}
    assert queued[SUPERVISOR].index(red) < queued[SUPERVISOR].index(yellow)  # red first
    assert "Overdue tickets of Carded</b> · 2" in queued[SUPERVISOR]
    assert in_group in queued[GROUP] and fine not in queued[GROUP]

    clock.set(sh(3, 8, 8, 30))  # a Saturday: nobody is at work to read it
    assert await digest.func(**digest.params) == 0


async def test_monthly_figures_go_to_the_channel_once(
    session_factory: SessionFactory, clock: ManualClock
) -> None:
    office = await add_department(session_factory, "Housing Office")
    await add_ticket(session_factory, office, sh(3, 12))
    await add_ticket(session_factory, office, sh(4, 1, 8))  # April: not in March's figures
    # Received in February, found 部分属实 in March: March's 查处 counts it.
    await add_ticket(session_factory, office, sh(2, 20), state="closed",
                     resolved_at=sh(3, 5), finding="partly", finding_actions=["rectify"],
                     people_concerned=3)  # fmt: skip
    without = digest_jobs(DigestConfig(settings()), **params(session_factory, clock))
    assert JOB_MONTHLY not in [j.id for j in without]
    jobs = digest_jobs(
        DigestConfig(settings(public_channel_id=CHANNEL)), **params(session_factory, clock)
    )
    monthly = job(jobs, JOB_MONTHLY)

    assert await run_at_next_fire(monthly, clock) == 1
    assert clock.now() == sh(4, 1, 9)
    assert await monthly.func(**monthly.params) == 0
    [row] = await rows(session_factory)
    assert (row.chat_id, row.purpose) == (CHANNEL, "channel:monthly")
    assert "Figures for 2025-03-01 – 2025-03-31" in row.payload["text"]
    assert "Reports received: 1" in row.payload["text"]
    assert "Findings on cases resolved: 1 substantiated, 3 dealt with" in row.payload["text"]
    assert "substantiation rate 100% (1 of 1)" in row.payload["text"]


async def test_a_channel_username_gets_a_stable_stand_in_chat_id() -> None:
    stand_in = outbox_chat_id("@Snap_Public")
    assert stand_in == outbox_chat_id("@snap_public") < -(10**15)
    assert outbox_chat_id(CHANNEL) == CHANNEL


async def test_the_runner_registers_the_digests_by_deterministic_ids(
    bot: Bot, engine: AsyncEngine, session_factory: SessionFactory, clock: ManualClock
) -> None:
    config = SchedulerConfig(
        dispatch=FAST, digests=DigestConfig(settings(public_channel_id="@snap_public"))
    )
    runner = await start_scheduler(
        bot=bot,
        engine=engine,
        session_factory=session_factory,
        clock=clock,
        make_workspace=partial(
            workspace, clock=clock, settings=settings(), i18n=I18N, calendar=PACKAGED
        ),
        i18n=I18N,
        config=config,
    )
    try:
        assert {JOB_WEEKLY, JOB_OVERDUE, JOB_MONTHLY} <= set(runner.job_ids)
    finally:
        await runner.stop()
