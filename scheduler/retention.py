"""The retention purge: delete what is kept no longer than needed, and audit each run.

One run, daily in the leader (`scheduler.runner`) or on demand (`snapreport purge`), deletes
in one transaction: abandoned drafts, inbox ids past redelivery, sent and undelivered outbox
rows, the record of direct answers too old to delete, closed tickets' evidence, identities
and relayed words, and old praises' words, photos and senders (`storage.retention`); it
writes one audit row per kind. Files go after the commit. A dry run does the same work and
rolls it back, so the figures it prints are exactly what a real run would delete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from config.settings import Settings
from scheduler.jobs import expired_drafts
from storage.db import SessionFactory
from storage.fsm import delete_unused, unused_files
from storage.media import MediaStore
from storage.retention import (
    expired_tickets,
    purge_inbox,
    purge_outbox,
    purge_praises,
    purge_sent_messages,
    purge_tickets,
    record_purges,
)
from storage.wechat import purge_pushes
from tickets.clock import Clock

log = structlog.get_logger(__name__)

# Telegram lets a bot delete its messages for 48 hours; a record of one is useless after.
DELETE_WINDOW = timedelta(hours=48)
# What each kind of purged record is, for `snapreport purge`.
KIND_LABELS = {
    "drafts": "abandoned report drafts",
    "inbox_updates": "handled updates (ids kept against redelivery)",
    "wechat_pushes": "handled WeChat pushes (hashed keys kept against retries)",
    "outbox_sent": "delivered outbox messages",
    "outbox_dead": "undelivered outbox messages",
    "direct_answers": "records of answers too old to delete",
    "tickets": "closed tickets reduced to their figures",
    "evidence": "evidence records of those tickets",
    "reporters": "reporters' identities (no ticket or praise left)",
    "relay_texts": "texts relayed between reporter and department",
    "outbox_rows": "messages about those tickets",
    "praises": "praises reduced to their figures",
    "praise_photos": "photos of those praises",
    "files": "media files",
}


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of record is kept (the RETENTION settings)."""

    drafts: timedelta = timedelta(hours=24)
    inbox: timedelta = timedelta(hours=24)
    sent_outbox: timedelta = timedelta(days=30)
    dead_outbox: timedelta = timedelta(days=30)
    closed_tickets: timedelta = timedelta(days=365)
    praises: timedelta = timedelta(days=365)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(
            drafts=timedelta(hours=settings.draft_ttl_hours),
            inbox=timedelta(hours=settings.inbox_retention_hours),
            sent_outbox=timedelta(days=settings.sent_outbox_retention_days),
            dead_outbox=timedelta(days=settings.dead_outbox_retention_days),
            closed_tickets=timedelta(days=settings.closed_ticket_retention_days),
            praises=timedelta(days=settings.praise_retention_days),
        )


@dataclass(frozen=True)
class PurgeReport:
    """What one purge deleted (or, dry, would delete), by kind, in a stable order."""

    at: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def purge(
    session_factory: SessionFactory,
    *,
    clock: Clock,
    media: MediaStore | None,
    policy: RetentionPolicy,
    dry_run: bool = False,
    trigger: str = "schedule",
) -> PurgeReport:
    """Delete everything past `policy` by `clock`, audit it, then delete the files."""
    now = clock.now()
    async with session_factory() as session:
        transaction = await session.begin()
        drafts, draft_files = await expired_drafts(session, before=now - policy.drafts)
        ticket_ids = await expired_tickets(session, closed_before=now - policy.closed_tickets)
        ticket_counts, evidence_files = await purge_tickets(
            session, ticket_ids=ticket_ids, now=now
        )
        praise_counts, praise_files = await purge_praises(session, before=now - policy.praises)
        # Once the evidence rows are gone, a draft photo may be free too, and the reverse.
        files = await unused_files(session, draft_files | evidence_files | praise_files)
        counts = {
            "drafts": drafts,
            "inbox_updates": await purge_inbox(session, before=now - policy.inbox),
            "wechat_pushes": await purge_pushes(session, before=now - policy.inbox),
            "outbox_sent": await purge_outbox(
                session, state="sent", before=now - policy.sent_outbox
            ),
            "outbox_dead": await purge_outbox(
                session, state="dead", before=now - policy.dead_outbox
            ),
            "direct_answers": await purge_sent_messages(session, before=now - DELETE_WINDOW),
            **ticket_counts,
            "praises": praise_counts["praises"],
            "praise_photos": praise_counts["praise_photos"],
            "reporters": ticket_counts["reporters"] + praise_counts["reporters"],
            "files": len(files),
        }
        if dry_run:
            await transaction.rollback()
            return PurgeReport(at=now, dry_run=True, counts=counts)
        record_purges(session, counts, at=now, trigger=trigger)
        await transaction.commit()
    if media is not None:
        await delete_unused(media, files)
    log.info("retention_purged", trigger=trigger, **counts)
    return PurgeReport(at=now, dry_run=False, counts=counts)
