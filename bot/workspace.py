"""Binds the ports to one unit of work (the update's or a job's session).

`Workspaces` builds what `bot.middlewares.WorkspaceMiddleware` hands every handler as
`ws` (`tickets.ports.UpdateWorkspace`): the use cases' ports plus every read and delivery a
handler needs. To give handlers something new, add a Protocol to `tickets.ports`, implement
it in `storage/` (or `outbox/` for a delivery), and bind it here; handlers never import
`storage` or `bot`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from outbox.dispatcher import OutboxDeadLetters
from outbox.forget import OutboxChatHistory
from outbox.notifier import OutboxNotifier
from outbox.statistics import ChannelPublisher, SessionExports
from storage.audit import SqlAuditLog, SqlIdentityViews
from storage.calendar_days import ReplicaCalendar, SqlCalendarDays
from storage.categories import ReplicaCategories, SqlCategories
from storage.console import SqlConsoleAccess
from storage.custody import SqlEvidenceVault
from storage.db import SessionFactory
from storage.directory import SecurityLog, SqlDirectory
from storage.fsm import DraftPhotos
from storage.identity import keys_of
from storage.media import MediaPhotoIntake, MediaStore, PhotoWorkers
from storage.people import PeopleRepo
from storage.praise import SqlPraiseRepository
from storage.publications import SqlPublicationStore
from storage.reads import SqlCaseReads
from storage.reply_templates import SqlReplyTemplates
from storage.repositories import SqlFollowUpRepository, SqlTicketRepository
from storage.stats import SqlStatsReads
from storage.supporters import SqlSupporters
from tickets.clock import Clock
from tickets.escalation import Escalation
from tickets.holidays import WorkingCalendar
from tickets.photos import ImageLimits
from tickets.ports import UpdateWorkspace, Workspace
from tickets.quotas import Quotas
from ui.categories import use_categories

# What every channel accepts and stores of a photo.
IMAGE_LIMITS = ImageLimits()


def workspace(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    calendar: WorkingCalendar,
    categories: ReplicaCategories | None = None,
) -> Workspace:
    """Bind the domain's ports to `session`; `calendar` is the one the composition root
    loaded, and a change to the categories refreshes `categories`, this process's copy."""
    return Workspace(
        tickets=SqlTicketRepository(session),
        directory=SqlDirectory(session),
        followups=SqlFollowUpRepository(session),
        notifier=OutboxNotifier(session, i18n, settings, clock=clock),
        clock=clock,
        timezone=settings.timezone,
        survey_window=timedelta(days=settings.survey_days),
        calendar=calendar,
        escalation=Escalation(
            office_levels=settings.escalation_office_levels,
            step=timedelta(hours=settings.escalation_step_hours),
        ),
        quotas=Quotas(
            relay_per_hour=settings.relay_per_ticket_per_hour,
            supplements_per_hour=settings.supplements_per_ticket_per_hour,
        ),
        categories=SqlCategories(session, categories),
    )


@dataclass(frozen=True)
class Workspaces:
    """What every unit of work's `ws` is built from: the app's long-lived parts."""

    sessions: SessionFactory
    clock: Clock
    settings: Settings
    i18n: I18n
    calendars: ReplicaCalendar
    categories: ReplicaCategories
    media: MediaStore
    photo_workers: PhotoWorkers | None = None

    @asynccontextmanager
    async def open(self, session: AsyncSession) -> AsyncIterator[UpdateWorkspace]:
        """`ws` on `session`, for the length of the block. The console's holidays and the
        categories are read again first when this replica's copies are stale; rendering is
        synchronous, so it is handed the category table here."""
        await self.calendars.fresh(session)
        with use_categories(await self.categories.fresh(session)):
            yield self.build(session)

    def build(self, session: AsyncSession) -> UpdateWorkspace:
        """Every port a handler needs, on the update's session (`sessions` for parallel
        reads); the calendar is `calendars` as last loaded (`open` freshens it first)."""
        settings, i18n, clock, media = self.settings, self.i18n, self.clock, self.media
        ports = workspace(
            session,
            clock=clock,
            settings=settings,
            i18n=i18n,
            calendar=self.calendars.current,
            categories=self.categories,
        )
        return UpdateWorkspace(
            **vars(ports),
            cases=SqlCaseReads(session),
            security=SecurityLog(session),
            audit=SqlAuditLog(session),
            identity_views=SqlIdentityViews(session),
            vault=SqlEvidenceVault(session, media),
            people=PeopleRepo(session),
            drafts=DraftPhotos(session, media),
            photos=MediaPhotoIntake(
                media,
                limits=IMAGE_LIMITS,
                tz=settings.tz,
                keys=keys_of(session),
                workers=self.photo_workers,
            ),
            stats=SqlStatsReads(self.sessions, session, tz=settings.timezone),
            publications=SqlPublicationStore(session),
            channel=ChannelPublisher(session, i18n, settings, clock=clock, media=media),
            exports=SessionExports(self.sessions, tz=settings.timezone),
            dead_letters=OutboxDeadLetters(session),
            chat_history=OutboxChatHistory(session, i18n, settings, clock=clock),
            console=SqlConsoleAccess(session, media),
            templates=SqlReplyTemplates(session),
            praises=SqlPraiseRepository(session),
            supporters=SqlSupporters(session),
            calendar_days=SqlCalendarDays(session, self.calendars),
        )
