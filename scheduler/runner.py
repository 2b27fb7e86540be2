"""The scheduler: APScheduler ticks the jobs, the outbox dispatcher runs beside them.

The durable truth is in rows (FollowUp, OutboxMessage, FsmRecord); APScheduler only says
"look now", with deterministic job ids and `replace_existing=True`, so a restart or a second
`start()` never doubles a job. Only the process holding the runner lock (`scheduler.lock`)
acts: the others tick, find they are not the leader, and try to take over every few seconds.
Every process, leader or not, reloads its working-day calendar (`storage.calendar_days`)
and its category table (`storage.categories`) once a minute, so the console's holidays and
an edited category reach a quiet replica too (and what it renders outside updates).
`run_due_once` is the same work on demand: tests and the demo move a ManualClock and call it
instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from aiogram import Bot
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from config.tasks import end_tasks
from outbox.dispatcher import DeadHook, DispatchConfig, OutboxDispatcher, OutcomeHook
from outbox.ratelimit import RateLimiter
from scheduler.digests import DigestConfig, digest_jobs
from scheduler.jobs import (
    SweepReport,
    WorkspaceFactory,
    expire_drafts,
    sweep_follow_ups,
)
from scheduler.lock import RunnerLock, runner_lock
from scheduler.retention import RetentionPolicy, purge
from storage.calendar_days import ReplicaCalendar
from storage.categories import ReplicaCategories
from storage.db import SessionFactory
from storage.media import MediaStore
from tickets.clock import Clock
from ui.categories import remember

log = structlog.get_logger(__name__)

JOB_LEADERSHIP = "snapreport:leadership"
JOB_FOLLOW_UPS = "snapreport:follow-ups"
JOB_DRAFTS = "snapreport:draft-expiry"
JOB_RETENTION = "snapreport:retention"
JOB_CALENDAR = "snapreport:calendar"


@dataclass(frozen=True)
class SchedulerConfig:
    """How often each job ticks, and what the jobs keep."""

    follow_up_interval: float = 30.0
    follow_up_batch: int = 100
    draft_interval: float = 3600.0
    draft_ttl_hours: int = 24
    retention_interval: float = 24 * 3600.0
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    leadership_interval: float = 5.0
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    digests: DigestConfig | None = None  # cron-triggered digests, when given settings
    calendars: ReplicaCalendar | None = None  # this process's calendar, reloaded per replica
    categories: ReplicaCategories | None = None  # and its category table
    calendar_interval: float = 60.0


@dataclass(frozen=True)
class TickReport:
    follow_ups: SweepReport
    sent: int


async def run_due_once(
    session_factory: SessionFactory,
    *,
    clock: Clock,
    make_workspace: WorkspaceFactory,
    dispatcher: OutboxDispatcher,
    i18n: I18n | None = None,
    batch_size: int = 100,
) -> TickReport:
    """Fire every follow-up due now, then send every outbox row due now."""
    sweep = await sweep_follow_ups(
        session_factory,
        clock=clock,
        make_workspace=make_workspace,
        i18n=i18n,
        batch_size=batch_size,
    )
    return TickReport(follow_ups=sweep, sent=await dispatcher.send_due())


async def leader_only(
    runner: SnapreportScheduler,
    job: Callable[..., Awaitable[object]],
    then: Callable[[], None] | None = None,
    **params: Any,
) -> None:
    """Run `job(**params)` if this process is the runner; then call `then`."""
    if not runner.is_leader:
        return
    task = asyncio.current_task()
    if task is not None:
        runner.jobs_running.add(task)
    try:
        await job(**params)
        if then is not None:
            then()
    finally:
        if task is not None:
            runner.jobs_running.discard(task)


async def refresh_replica_copies(
    calendars: ReplicaCalendar,
    session_factory: SessionFactory,
    categories: ReplicaCategories | None = None,
) -> None:
    """Reload the console's holidays and the category table if this process's copies are
    stale (every replica); digests and cards rendered outside updates use that table."""
    await calendars.refresh(session_factory)
    if categories is not None:
        remember(await categories.refresh(session_factory))


async def check_leadership(runner: SnapreportScheduler) -> None:
    """Take the runner lock if free, or step down if it was lost."""
    await runner.check_leadership()


class SnapreportScheduler:
    """The jobs and the outbox dispatcher of one process, active only while it leads."""

    def __init__(
        self,
        *,
        bot: Bot,
        session_factory: SessionFactory,
        clock: Clock,
        make_workspace: WorkspaceFactory,
        lock: RunnerLock,
        i18n: I18n | None = None,
        limiter: RateLimiter | None = None,
        media: MediaStore | None = None,
        config: SchedulerConfig | None = None,
        on_dead: DeadHook | None = None,
        on_outcome: OutcomeHook | None = None,
    ) -> None:
        self.config = config or SchedulerConfig()
        self.session_factory = session_factory
        self.clock = clock
        self.make_workspace = make_workspace
        self.i18n = i18n
        self.media = media
        self.lock = lock
        self.dispatcher = OutboxDispatcher(
            bot,
            session_factory,
            clock=clock,
            limiter=limiter,
            media=media,
            config=self.config.dispatch,
            on_dead=on_dead,
            on_outcome=on_outcome,
        )
        self.is_leader = False
        self.jobs_running: set[asyncio.Task[Any]] = set()
        self._aps: AsyncIOScheduler | None = None
        self._leadership = asyncio.Lock()

    @property
    def job_ids(self) -> list[str]:
        """The ids of the jobs APScheduler ticks (empty when stopped)."""
        return sorted(job.id for job in self._aps.get_jobs()) if self._aps else []

    async def start(self) -> None:
        """Register the jobs, start ticking, and try to lead right away."""
        if self._aps is not None:
            return
        config = self.config
        aps = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(),
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        now = datetime.now(UTC)  # APScheduler's own ticking runs on wall time
        common = {"session_factory": self.session_factory, "clock": self.clock}
        self._add(
            aps, JOB_LEADERSHIP, check_leadership, config.leadership_interval, None, runner=self
        )
        self._add(
            aps,
            JOB_FOLLOW_UPS,
            leader_only,
            config.follow_up_interval,
            now,
            runner=self,
            job=sweep_follow_ups,
            then=self.dispatcher.wake,
            make_workspace=self.make_workspace,
            i18n=self.i18n,
            batch_size=config.follow_up_batch,
            **common,
        )
        if self.media is not None:
            self._add(
                aps,
                JOB_DRAFTS,
                leader_only,
                config.draft_interval,
                now,
                runner=self,
                job=expire_drafts,
                media=self.media,
                ttl_hours=config.draft_ttl_hours,
                **common,
            )
        self._add(
            aps,
            JOB_RETENTION,
            leader_only,
            config.retention_interval,
            now,
            runner=self,
            job=purge,
            media=self.media,
            policy=config.retention,
            **common,
        )
        if config.calendars is not None:
            self._add(
                aps,
                JOB_CALENDAR,
                refresh_replica_copies,
                config.calendar_interval,
                None,
                calendars=config.calendars,
                categories=config.categories,
                session_factory=self.session_factory,
            )
        if config.digests is not None and self.i18n is not None:
            for digest in digest_jobs(
                config.digests,
                session_factory=self.session_factory,
                clock=self.clock,
                i18n=self.i18n,
            ):
                aps.add_job(
                    leader_only,
                    digest.trigger,
                    id=digest.id,
                    name=digest.id,
                    kwargs={"runner": self, "job": digest.func, "then": self.dispatcher.wake}
                    | digest.params,
                    replace_existing=True,
                )
        aps.start()
        self._aps = aps
        await self.check_leadership()

    async def stop(self) -> None:
        """Stop ticking, let the dispatcher finish what is in flight, release the lock."""
        aps, self._aps = self._aps, None
        if aps is not None and aps.running:
            aps.shutdown(wait=False)
            await asyncio.sleep(0)  # APScheduler shuts down on the loop's next turn
        await end_tasks(self.jobs_running)
        async with self._leadership:
            await self._step_down()
        await self.lock.release()

    async def check_leadership(self) -> bool:
        """Lead if the lock can be had; step down if it was lost. Returns `is_leader`."""
        async with self._leadership:
            if self.is_leader:
                if not await self.lock.held():
                    await self._step_down()
            elif await self.lock.acquire():
                self.is_leader = True
                await self.dispatcher.start()
                log.info("scheduler_leading")
            return self.is_leader

    async def run_due_once(self) -> TickReport:
        """Fire due follow-ups and send due messages now (tests and the demo)."""
        return await run_due_once(
            self.session_factory,
            clock=self.clock,
            make_workspace=self.make_workspace,
            dispatcher=self.dispatcher,
            i18n=self.i18n,
            batch_size=self.config.follow_up_batch,
        )

    async def _step_down(self) -> None:
        if self.is_leader:
            log.info("scheduler_standing_by")
        self.is_leader = False
        await self.dispatcher.stop()

    @staticmethod
    def _add(
        aps: AsyncIOScheduler,
        job_id: str,
        func: Callable[..., Awaitable[None]],
        seconds: float,
        first_run: datetime | None,
        **kwargs: Any,
    ) -> None:
        trigger = IntervalTrigger(seconds=seconds, timezone=UTC)
        options: dict[str, Any] = {"next_run_time": first_run} if first_run else {}
        aps.add_job(
            func, trigger, id=job_id, name=job_id, kwargs=kwargs, replace_existing=True, **options
        )


async def start_scheduler(
    *,
    bot: Bot,
    engine: AsyncEngine,
    session_factory: SessionFactory,
    clock: Clock,
    make_workspace: WorkspaceFactory,
    i18n: I18n | None = None,
    limiter: RateLimiter | None = None,
    media: MediaStore | None = None,
    config: SchedulerConfig | None = None,
    on_dead: DeadHook | None = None,
    lock: RunnerLock | None = None,
    on_outcome: OutcomeHook | None = None,
) -> SnapreportScheduler:
    """Build and start the scheduler; stop it with `await scheduler.stop()`."""
    scheduler = SnapreportScheduler(
        bot=bot,
        session_factory=session_factory,
        clock=clock,
        make_workspace=make_workspace,
        lock=lock or runner_lock(engine),
        i18n=i18n,
        limiter=limiter,
        media=media,
        config=config,
        on_dead=on_dead,
        on_outcome=on_outcome,
    )
    await scheduler.start()
    return scheduler


__all__ = [
    "JOB_CALENDAR",
    "JOB_DRAFTS",
    "JOB_FOLLOW_UPS",
    "JOB_LEADERSHIP",
    "JOB_RETENTION",
    "SchedulerConfig",
    "SnapreportScheduler",
    "TickReport",
    "run_due_once",
    "start_scheduler",
]
