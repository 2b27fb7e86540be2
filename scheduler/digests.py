"""Digests: last week's figures to the administrators (Mondays 09:00, with the department
ranked last in each of the two quarters before, if one was), each department's
overdue list (08:30 on working days), last month's figures to the transparency channel
(the 1st, 09:00, when PUBLIC_CHANNEL_ID is set), and the daily notice while the holiday
calendar runs out (`scheduler.holidays`); all in local time (TIMEZONE).

Each job is a plain function of the session factory, the clock, the settings and i18n. It
writes OutboxMessage rows keyed by the period it reports on and the recipient, so running
it twice (a restart, a manual run, a second runner) queues nothing new; the dispatcher
sends them. `digest_jobs` gives the scheduler their cron triggers and deterministic ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiogram.utils.i18n import I18n
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from config.settings import Settings
from outbox.notifier import OnceNotifier
from outbox.statistics import ChannelPublisher
from scheduler.admin_notices import notify_admins_once
from scheduler.holidays import JOB_HOLIDAYS, warn_uncovered_years
from storage.calendar_days import console_calendar
from storage.db import SessionFactory
from storage.stats import load_carded_tickets, load_ranking, load_stats
from tickets.clock import Clock
from tickets.holidays import PACKAGED, WorkingCalendar
from tickets.measures import Period, bottom_twice
from tickets.periods import quarter_of, shift_quarter
from ui.stats_text import monthly_public_text, overdue_text, weekly_digest_text

log = structlog.get_logger(__name__)

JOB_WEEKLY = "snapreport:digest-weekly"
JOB_OVERDUE = "snapreport:digest-overdue"
JOB_MONTHLY = "snapreport:digest-monthly"


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    return clock.now().astimezone(tz).date()


def html_text(text: str) -> dict[str, Any]:
    return {"text": text, "parse_mode": "HTML"}


async def weekly_digest(
    session_factory: SessionFactory, *, clock: Clock, settings: Settings, i18n: I18n
) -> int:
    """Queue last week's figures (Monday to Sunday) for every administrator; count rows."""
    tz = settings.tz
    week = Period.week_of(local_today(clock, tz) - timedelta(days=7), tz)
    stats = await load_stats(session_factory, week, as_of=clock.now(), tz=settings.timezone)
    flagged = await bottom_two_quarters(session_factory, clock=clock, settings=settings)
    key = f"digest:weekly:{week.start.astimezone(tz).date().isoformat()}"
    written = await notify_admins_once(
        session_factory,
        clock=clock,
        settings=settings,
        i18n=i18n,
        render=lambda: weekly_digest_text(stats, tz, flagged=flagged),
        key=key,
        purpose="digest:weekly",
    )
    log.info("weekly_digest", rows=written, received=stats.overall.counts.received)
    return written


async def bottom_two_quarters(
    session_factory: SessionFactory, *, clock: Clock, settings: Settings
) -> tuple[str, ...]:
    """Names of the departments ranked last in each of the two quarters before this one."""
    tz = settings.tz
    year, number = quarter_of(local_today(clock, tz))
    rankings = [
        await load_ranking(
            session_factory,
            Period.quarter(*shift_quarter(year, number, back), tz),
            as_of=clock.now(),
            tz=settings.timezone,
        )
        for back in (-2, -1)
    ]
    return tuple(entry.name for entry in bottom_twice(*rankings))


async def overdue_lists(
    session_factory: SessionFactory,
    *,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    working_days_only: bool = True,
    calendar: WorkingCalendar = PACKAGED,
) -> int:
    """Queue each department's list of open tickets with a yellow or red card; count rows.

    Departments without such tickets hear nothing. The list goes where the department's
    alerts go: its group chat, else its supervisors, else the administrators.
    """
    day = local_today(clock, settings.tz)
    calendar = await console_calendar(session_factory, calendar)
    if working_days_only and not calendar.is_working_day(day):
        return 0
    written = 0
    with i18n.context():
        async with session_factory() as session, session.begin():
            carded = await load_carded_tickets(session)
            outbox = OnceNotifier(session, i18n, settings, clock=clock)
            for department_id, group in groupby(carded, key=lambda t: t.department_id):
                tickets = list(group)
                for chat_id in await outbox.department_chats(department_id):
                    with i18n.use_locale(await outbox.language_of(chat_id)):
                        text = overdue_text(tickets[0].department, tickets, settings.tz)
                    written += await outbox.once(
                        chat_id,
                        "sendMessage",
                        html_text(text),
                        key=f"digest:overdue:{day.isoformat()}:{department_id}:{chat_id}",
                        purpose="digest:overdue",
                    )
    log.info("overdue_lists", rows=written, tickets=len(carded))
    return written


async def monthly_public_figures(
    session_factory: SessionFactory, *, clock: Clock, settings: Settings, i18n: I18n
) -> int:
    """Queue last month's figures for the transparency channel, if there is one."""
    if settings.public_channel_id is None:
        return 0
    tz = settings.tz
    month = Period.month_of(local_today(clock, tz).replace(day=1) - timedelta(days=1), tz)
    stats = await load_stats(session_factory, month, as_of=clock.now(), tz=settings.timezone)
    with i18n.context():
        with i18n.use_locale(settings.default_language):
            text = monthly_public_text(stats, tz)
        async with session_factory() as session, session.begin():
            channel = ChannelPublisher(session, i18n, settings, clock=clock)
            key = f"public:monthly:{month.start.astimezone(tz).strftime('%Y-%m')}"
            written = int(await channel.text(text, key=key, purpose="channel:monthly"))
    log.info("monthly_public_figures", rows=written)
    return written


@dataclass(frozen=True)
class DigestConfig:
    """The settings and the working-day calendar (package and HOLIDAYS_FILE; each job adds
    the console's dates as they are when it runs) the digests read; built in the root."""

    settings: Settings
    calendar: WorkingCalendar = PACKAGED


@dataclass(frozen=True)
class DigestJob:
    """One digest as the scheduler registers it."""

    id: str
    trigger: CronTrigger
    func: Callable[..., Awaitable[int]]
    params: dict[str, Any]


def digest_jobs(
    config: DigestConfig, *, session_factory: SessionFactory, clock: Clock, i18n: I18n
) -> list[DigestJob]:
    """The digest jobs with their cron triggers in TIMEZONE (monthly only with a channel)."""
    settings = config.settings
    tz = settings.tz
    params = {
        "session_factory": session_factory,
        "clock": clock,
        "settings": settings,
        "i18n": i18n,
    }
    jobs = [
        DigestJob(
            JOB_WEEKLY,
            CronTrigger(day_of_week="mon", hour=9, minute=0, timezone=tz),
            weekly_digest,
            params,
        ),
        DigestJob(
            JOB_OVERDUE,
            CronTrigger(hour=8, minute=30, timezone=tz),
            overdue_lists,
            params | {"calendar": config.calendar},
        ),
        DigestJob(
            JOB_HOLIDAYS,
            CronTrigger(hour=9, minute=0, timezone=tz),
            warn_uncovered_years,
            params | {"calendar": config.calendar},
        ),
    ]
    if settings.public_channel_id is not None:
        jobs.append(
            DigestJob(
                JOB_MONTHLY,
                CronTrigger(day=1, hour=9, minute=0, timezone=tz),
                monthly_public_figures,
                params,
            )
        )
    return jobs
