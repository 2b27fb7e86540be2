"""The daily notice while the holiday calendar runs out: administrators hear once a day
(however often the job runs, restarts included) and nothing once the year is covered."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.settings import Settings
from scheduler.digests import JOB_OVERDUE, DigestConfig, DigestJob, digest_jobs
from scheduler.holidays import JOB_HOLIDAYS, uncovered_notice
from storage.calendar_days import SqlCalendarDays
from storage.db import SessionFactory
from tests.factories import add_department
from tests.scheduler.conftest import rows
from tests.scheduler.test_digests import SUPERVISOR, add_ticket, job
from tickets.clock import ManualClock
from tickets.holidays import PACKAGED, CalendarDay, DayOverride, WorkingCalendar
from ui.i18n import create_i18n

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMINS = frozenset({900_000_001, 900_000_002})
I18N = create_i18n("en")


def holiday_job(
    session_factory: SessionFactory, clock: ManualClock, calendar: WorkingCalendar
) -> DigestJob:
    settings = Settings(_env_file=None, admin_ids=ADMINS, default_language="en")
    jobs = digest_jobs(
        DigestConfig(settings, calendar), session_factory=session_factory, clock=clock, i18n=I18N
    )
    return next(job for job in jobs if job.id == JOB_HOLIDAYS)


async def test_uncovered_year_ahead_warns_administrators_once_a_day(
    session_factory: SessionFactory,
) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 8, tzinfo=SHANGHAI))  # 2027 is 39 days away
    job = holiday_job(session_factory, clock, PACKAGED)
    fire = job.trigger.get_next_fire_time(None, clock.now())
    assert fire == datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)  # daily, 09:00 local
    clock.set(fire)

    assert await job.func(**job.params) == 2
    assert await job.func(**job.params) == 0  # a second tick (or a restart) the same day
    clock.advance(timedelta(days=1))
    assert await job.func(**job.params) == 2  # the next day, again

    queued = await rows(session_factory)
    assert {row.chat_id for row in queued} == ADMINS
    assert len(queued) == 4
    assert all("Holiday calendar missing for 2027" in row.payload["text"] for row in queued)
    assert all("HOLIDAYS_FILE" in row.payload["text"] for row in queued)


async def test_no_notice_when_the_next_90_days_are_covered(
    session_factory: SessionFactory,
) -> None:
    covered = WorkingCalendar({date(2027, 1, 1): DayOverride("元旦", working=False)})
    late = ManualClock(datetime(2026, 11, 23, 9, tzinfo=SHANGHAI))
    early = ManualClock(datetime(2026, 6, 1, 9, tzinfo=SHANGHAI))  # 2026 only: packaged
    for clock, calendar in ((late, covered), (early, PACKAGED)):
        job = holiday_job(session_factory, clock, calendar)
        assert await job.func(**job.params) == 0
    assert await rows(session_factory) == []


async def test_a_year_with_a_console_date_counts_as_covered(
    session_factory: SessionFactory,
) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 9, tzinfo=SHANGHAI))  # 2027 is 39 days away
    async with session_factory() as session:
        new_year = CalendarDay(date(2027, 1, 1), working=False, name="元旦", added_by="admin")
        await SqlCalendarDays(session).add_days([new_year])
        await session.commit()
    job = holiday_job(session_factory, clock, PACKAGED)
    assert await job.func(**job.params) == 0
    assert await rows(session_factory) == []


def test_the_notice_is_translated() -> None:
    with I18N.context(), I18N.use_locale("zh_CN"):
        text = uncovered_notice([2027, 2028])
    assert "2027, 2028 年节假日安排缺失" in text and "HOLIDAYS_FILE" in text


async def test_the_overdue_list_follows_holidays_file_make_up_days(
    session_factory: SessionFactory,
) -> None:
    office = await add_department(session_factory, "Carded", supervisor=SUPERVISOR)
    await add_ticket(session_factory, office, datetime(2027, 2, 1, tzinfo=SHANGHAI), card="red")
    make_up = WorkingCalendar({date(2027, 2, 13): DayOverride("春节调休", working=True)})
    saturday = ManualClock(datetime(2027, 2, 13, 8, 30, tzinfo=SHANGHAI))
    settings = Settings(_env_file=None, admin_ids=ADMINS, default_language="en")
    jobs = {
        calendar: job(
            digest_jobs(
                DigestConfig(settings, calendar),
                session_factory=session_factory,
                clock=saturday,
                i18n=I18N,
            ),
            JOB_OVERDUE,
        )
        for calendar in (PACKAGED, make_up)
    }
    assert await jobs[PACKAGED].func(**jobs[PACKAGED].params) == 0  # a plain Saturday
    assert await jobs[make_up].func(**jobs[make_up].params) == 1  # a working Saturday
