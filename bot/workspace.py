"""Binds the domain's ports to one unit of work (the update's or a job's session)."""

from __future__ import annotations

from datetime import timedelta

from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from outbox.notifier import OutboxNotifier
from storage.directory import SqlDirectory
from storage.repositories import SqlFollowUpRepository, SqlTicketRepository
from tickets.clock import Clock
from tickets.holidays import WorkingCalendar
from tickets.ports import Workspace


def workspace(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    calendar: WorkingCalendar,
) -> Workspace:
    """Bind the domain's ports to `session`; `calendar` is the one the composition root loaded."""
    return Workspace(
        tickets=SqlTicketRepository(session),
        directory=SqlDirectory(session),
        followups=SqlFollowUpRepository(session),
        notifier=OutboxNotifier(session, i18n, settings, clock=clock),
        clock=clock,
        timezone=settings.timezone,
        survey_window=timedelta(days=settings.survey_days),
        calendar=calendar,
    )
