"""The scheduler's wiring and the single-runner lock, on SQLite files."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.workspace import workspace
from config.settings import Settings
from emulator.client import EmulatorClient
from scheduler.lock import AdvisoryLock, FileLock, ProcessLock, runner_lock
from scheduler.runner import (
    JOB_DRAFTS,
    JOB_FOLLOW_UPS,
    JOB_LEADERSHIP,
    JOB_RETENTION,
    SchedulerConfig,
    start_scheduler,
)
from storage.db import SessionFactory, create_engine
from storage.media import MediaStore
from tests.scheduler.conftest import FAST, Texts, add_rows
from tickets.clock import ManualClock
from tickets.holidays import PACKAGED
from ui.i18n import create_i18n


async def test_a_second_process_on_the_same_sqlite_file_stands_by(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "db.runner.lock"), FileLock(tmp_path / "db.runner.lock")

    assert await first.acquire()
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
    await second.release()


async def test_each_database_gets_its_kind_of_lock(tmp_path: Path) -> None:
    engines = [
        create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"),
        create_engine("sqlite+aiosqlite://"),
        create_engine("postgresql+asyncpg://u@127.0.0.1:1/db"),
    ]
    locks = [runner_lock(engine) for engine in engines]
    for engine in engines:
        await engine.dispose()

    assert isinstance(locks[0], FileLock) and locks[0].path == tmp_path / "a.sqlite3.runner.lock"
    assert isinstance(locks[1], ProcessLock)
    assert isinstance(locks[2], AdvisoryLock)


async def test_scheduler_leads_alone_and_dispatches_in_the_background(
    bot: Bot,
    engine: AsyncEngine,
    session_factory: SessionFactory,
    clock: ManualClock,
    media: MediaStore,
    client: EmulatorClient,
    bot_texts: Texts,
) -> None:
    settings = Settings(_env_file=None)
    i18n = create_i18n("en")
    make = partial(workspace, clock=clock, settings=settings, i18n=i18n, calendar=PACKAGED)
    options = {
        "bot": bot,
        "engine": engine,
        "session_factory": session_factory,
        "clock": clock,
        "make_workspace": make,
        "i18n": i18n,
        "media": media,
        "config": SchedulerConfig(dispatch=FAST),
    }
    first = await start_scheduler(**options)  # type: ignore[arg-type]
    second = await start_scheduler(**options)  # type: ignore[arg-type]
    try:
        assert first.job_ids == sorted([JOB_LEADERSHIP, JOB_FOLLOW_UPS, JOB_DRAFTS, JOB_RETENTION])
        assert first.is_leader and not second.is_leader
        assert first.dispatcher.running and not second.dispatcher.running

        chat = (await client.create_user()).id
        seq = (await client.chat(chat)).last_seq
        await add_rows(session_factory, clock, chat, ["from the background"])
        await client.wait_for_bot_message(chat, seq, timeout=2.0)
        assert await bot_texts(chat) == ["from the background"]

        await first.stop()
        assert first.job_ids == [] and not first.is_leader
        assert await second.check_leadership()
        assert second.dispatcher.running
    finally:
        await first.stop()
        await second.stop()
