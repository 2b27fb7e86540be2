"""The daily notice to administrators while the holiday calendar runs out within 90 days.

Without a schedule for a year, deadlines in it silently count Monday–Friday (see
`tickets.holidays`); a year counts as covered when the package, HOLIDAYS_FILE or the web
console has a date in it. Each day on which a year between today and today + 90 days is not
covered, every administrator gets one message through the outbox saying which year and
how to fix it. The row's idempotency key holds the local day, so a restart, a second
runner or a second tick the same day queues nothing new.
"""

from __future__ import annotations

import structlog
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from config.settings import Settings
from scheduler.admin_notices import notify_admins_once
from storage.calendar_days import console_calendar
from storage.db import SessionFactory
from tickets.clock import Clock
from tickets.holidays import LOOKAHEAD_DAYS, WorkingCalendar

log = structlog.get_logger(__name__)

JOB_HOLIDAYS = "snapreport:holidays-coverage"
PURPOSE = "notice:holidays"


def uncovered_notice(years: list[int]) -> str:
    """The administrators' message, in the current locale."""
    return _(
        "⚠️ <b>Holiday calendar missing for {years}</b>\n"
        "Deadlines in those years count Monday–Friday only, ignoring public holidays and "
        "make-up working days. Add the official schedule on the console's deadlines page, or to "
        "HOLIDAYS_FILE (see holidays.example.yaml) and restart, or upgrade the chinesecalendar "
        "package."
    ).format(years=", ".join(str(year) for year in years))


async def warn_uncovered_years(
    session_factory: SessionFactory,
    *,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    calendar: WorkingCalendar,
) -> int:
    """Queue today's notice for each administrator if a year ahead is uncovered; count rows."""
    today = clock.now().astimezone(settings.tz).date()
    calendar = await console_calendar(session_factory, calendar)
    years = calendar.uncovered_years(today, LOOKAHEAD_DAYS)
    if not years:
        return 0
    written = await notify_admins_once(
        session_factory,
        clock=clock,
        settings=settings,
        i18n=i18n,
        render=lambda: uncovered_notice(years),
        key=f"{PURPOSE}:{today.isoformat()}",
        purpose=PURPOSE,
    )
    log.warning("holidays_uncovered", years=years, rows=written)
    return written
