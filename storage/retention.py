"""Retention on SQLModel: what a purge deletes, found and deleted inside the caller's session.

A closed ticket past its retention period loses its evidence (rows here, files by the
caller once the transaction commits), the link to its reporter (the reporter row itself
when no other ticket needs it), the words relayed between reporter and department (event
texts, the description, the survey comment, its outbox rows) and the Telegram file ids of
photos; the ticket row keeps what statistics count: category, department, place, dates,
deadlines, state, rating and the department's findings. Every function counts what it
deleted and changes nothing but rows, so a dry run is the same call rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, literal, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from storage.fsm import UnusedFiles, unused_files
from storage.models import (
    Evidence,
    InboxUpdate,
    OutboxMessage,
    Praise,
    PraisePhoto,
    Reporter,
    RetentionPurge,
    SentMessage,
    Supporter,
    Ticket,
    TicketEvent,
)
from storage.rows import rows_changed
from tickets.states import FINAL_STATES

# The reporter every purged ticket points at instead of the person who filed it.
PURGED_CHANNEL = "purged"
# Event payload keys that hold Telegram file ids (a count under the same key is kept).
_PHOTO_KEYS = ("photo", "photos")


async def expired_tickets(session: AsyncSession, *, closed_before: datetime) -> list[int]:
    """Ids of tickets closed (or rejected, or merged) before `closed_before`, not yet purged."""
    rows = await session.scalars(
        select(col(Ticket.id))
        .where(
            col(Ticket.state).in_([str(state) for state in FINAL_STATES]),
            col(Ticket.closed_at) < closed_before,
            col(Ticket.purged_at).is_(None),
        )
        .order_by(col(Ticket.id))
    )
    return [ticket_id for ticket_id in rows if ticket_id is not None]


async def _purged_reporter(session: AsyncSession) -> int:
    """The id of the stand-in reporter of purged tickets (made on first use)."""
    found = await session.scalar(
        select(col(Reporter.id)).where(col(Reporter.channel) == PURGED_CHANNEL).limit(1)
    )
    if found is not None:
        return int(found)
    stand_in = Reporter(channel=PURGED_CHANNEL, channel_user_id=0, reachable=False)
    session.add(stand_in)
    await session.flush()
    return stand_in.id or 0


def _without_file_ids(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in payload.items()
        if key not in _PHOTO_KEYS or isinstance(value, int)
    }


async def purge_tickets(
    session: AsyncSession, *, ticket_ids: Sequence[int], now: datetime
) -> tuple[dict[str, int], UnusedFiles]:
    """Strip the tickets down to their figures; return counts by kind and the evidence
    files (stripped copies, sealed originals) no remaining row uses, for the caller to
    delete after committing."""
    counts = dict.fromkeys(("tickets", "evidence", "reporters", "relay_texts", "outbox_rows"), 0)
    if not ticket_ids:
        return counts, UnusedFiles()
    ids = list(ticket_ids)
    files = await _held_files(session, Evidence, col(Evidence.ticket_id).in_(ids))
    counts["evidence"] = rows_changed(
        await session.execute(delete(Evidence).where(col(Evidence.ticket_id).in_(ids)))
    )
    events = list(
        await session.scalars(select(TicketEvent).where(col(TicketEvent.ticket_id).in_(ids)))
    )
    for event in events:
        if event.text is not None:
            counts["relay_texts"] += 1
            event.text = None
        if event.actor_kind == "reporter":
            event.actor_id = None
        if any(key in event.payload for key in _PHOTO_KEYS):
            event.payload = _without_file_ids(event.payload)
    # Sent and undelivered copies quote the relayed words, the card, the reporter's chat.
    counts["outbox_rows"] = rows_changed(
        await session.execute(
            delete(OutboxMessage).where(
                col(OutboxMessage.ticket_id).in_(ids),
                col(OutboxMessage.state).in_(("sent", "dead", "pending")),
            )
        )
    )
    reporters = set(
        await session.scalars(select(col(Ticket.reporter_id)).where(col(Ticket.id).in_(ids)))
    )
    # Who joined with 'me too' (`tickets.supporters`) goes with the ticket's words.
    reporters |= set(
        await session.scalars(
            select(col(Supporter.reporter_id)).where(col(Supporter.ticket_id).in_(ids))
        )
    )
    await session.execute(delete(Supporter).where(col(Supporter.ticket_id).in_(ids)))
    stand_in = await _purged_reporter(session)
    counts["tickets"] = rows_changed(
        await session.execute(
            update(Ticket)
            .where(col(Ticket.id).in_(ids))
            .values(
                reporter_id=stand_in,
                description="",
                survey_comment=None,
                reply_contact=None,  # whom the office answered: identity, like a name
                submit_key=literal("purged:").concat(sql_cast(col(Ticket.id), String)),
                purged_at=now,
            )
        )
    )
    reporters.discard(stand_in)
    counts["reporters"] = await _delete_unneeded_reporters(session, reporters)
    return counts, await unused_files(session, files)


async def purge_praises(
    session: AsyncSession, *, before: datetime
) -> tuple[dict[str, int], UnusedFiles]:
    """Strip praises sent before `before` down to their figures (unit and date, which the
    ranking counts): their words, photos and sender go; return counts by kind and the files
    no remaining row uses, for the caller to delete after committing."""
    counts = dict.fromkeys(("praises", "praise_photos", "reporters"), 0)
    # A stripped praise points at the stand-in reporter, as a purged ticket does.
    stripped = select(col(Reporter.id)).where(col(Reporter.channel) == PURGED_CHANNEL)
    ids = [
        praise_id
        for praise_id in await session.scalars(
            select(col(Praise.id))
            .where(col(Praise.created_at) < before, col(Praise.reporter_id).not_in(stripped))
            .order_by(col(Praise.id))
        )
        if praise_id is not None
    ]
    if not ids:
        return counts, UnusedFiles()
    stand_in = await _purged_reporter(session)
    files = await _held_files(session, PraisePhoto, col(PraisePhoto.praise_id).in_(ids))
    senders = set(
        await session.scalars(select(col(Praise.reporter_id)).where(col(Praise.id).in_(ids)))
    )
    counts["praise_photos"] = rows_changed(
        await session.execute(delete(PraisePhoto).where(col(PraisePhoto.praise_id).in_(ids)))
    )
    counts["praises"] = rows_changed(
        await session.execute(
            update(Praise)
            .where(col(Praise.id).in_(ids))
            .values(reporter_id=stand_in, description="")
        )
    )
    counts["reporters"] = await _delete_unneeded_reporters(session, senders - {stand_in})
    return counts, await unused_files(session, files)


async def _held_files(
    session: AsyncSession, photos: type[Evidence | PraisePhoto], which: ColumnElement[bool]
) -> UnusedFiles:
    """The files (stripped copies, sealed originals) the `photos` rows `which` selects use."""
    held = list(
        await session.execute(select(col(photos.sha256), col(photos.original_sha256)).where(which))
    )
    return UnusedFiles(
        frozenset(sha for sha, _ in held),
        frozenset(original for _, original in held if original),
    )


async def _delete_unneeded_reporters(session: AsyncSession, reporters: set[int]) -> int:
    """Delete those reporter rows no ticket, praise or supporter row points at any more."""
    if not reporters:
        return 0
    still_needed = set(
        await session.scalars(
            select(col(Ticket.reporter_id)).where(col(Ticket.reporter_id).in_(reporters))
        )
    )
    # A praise names its sender by the same row (`tickets.praise`).
    still_needed |= set(
        await session.scalars(
            select(col(Praise.reporter_id)).where(col(Praise.reporter_id).in_(reporters))
        )
    )
    still_needed |= set(
        await session.scalars(
            select(col(Supporter.reporter_id)).where(col(Supporter.reporter_id).in_(reporters))
        )
    )
    gone = reporters - still_needed
    if not gone:
        return 0
    return rows_changed(await session.execute(delete(Reporter).where(col(Reporter.id).in_(gone))))


async def purge_inbox(session: AsyncSession, *, before: datetime) -> int:
    """Delete inbox rows handled (or set aside) before `before`."""
    handled = await session.execute(
        delete(InboxUpdate).where(col(InboxUpdate.handled_at) < before)
    )
    set_aside = await session.execute(
        delete(InboxUpdate).where(col(InboxUpdate.quarantined_at) < before)
    )
    return rows_changed(handled) + rows_changed(set_aside)


async def purge_outbox(session: AsyncSession, *, state: str, before: datetime) -> int:
    """Delete outbox rows in `state` ("sent" or "dead") last touched before `before`."""
    # A dead row has no sent_at: it died after its last attempt, not later than not_before.
    stamp = col(OutboxMessage.sent_at) if state == "sent" else col(OutboxMessage.not_before)
    return rows_changed(
        await session.execute(
            delete(OutboxMessage).where(col(OutboxMessage.state) == state, stamp < before)
        )
    )


async def purge_sent_messages(session: AsyncSession, *, before: datetime) -> int:
    """Forget direct answers sent before `before` (too old for Telegram to delete)."""
    return rows_changed(
        await session.execute(delete(SentMessage).where(col(SentMessage.sent_at) < before))
    )


def record_purges(
    session: AsyncSession, counts: Mapping[str, int], *, at: datetime, trigger: str
) -> None:
    """Write the audit of one purge: a row per kind, how many, when, and what ran it."""
    session.add_all(
        RetentionPurge(at=at, kind=kind[:32], count=count, trigger=trigger[:16])
        for kind, count in counts.items()
    )


async def purge_history(session: AsyncSession, *, limit: int = 50) -> list[RetentionPurge]:
    """The newest audit rows of purges, newest first."""
    return list(
        await session.scalars(
            select(RetentionPurge)
            .order_by(col(RetentionPurge.at).desc(), col(RetentionPurge.id).desc())
            .limit(limit)
        )
    )
