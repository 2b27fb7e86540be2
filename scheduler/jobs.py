"""The scheduler's jobs: fire due follow-ups and expire abandoned drafts.

Each job is a plain async function of the session factory, the clock and what else it needs;
each unit of work is its own transaction, so one failing follow-up never holds back the
rest, and a crash mid-sweep leaves the unfinished rows due for the next tick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from aiogram.utils.i18n import I18n
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import SessionFactory
from storage.fsm import UnusedFiles, delete_unused, is_draft_state, unused_draft_files
from storage.media import MediaStore
from storage.models import FollowUp, FsmRecord
from storage.retention import record_purges
from tickets.clock import Clock
from tickets.ports import Workspace
from tickets.sweep import Outcome, run_follow_up

log = structlog.get_logger(__name__)

WorkspaceFactory = Callable[[AsyncSession], Workspace]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: follow-ups carried out, found moot, skipped as stale, and failed
    (left due)."""

    acted: int = 0
    moot: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def done(self) -> int:
        return self.acted + self.moot + self.skipped


async def sweep_follow_ups(
    session_factory: SessionFactory,
    *,
    clock: Clock,
    make_workspace: WorkspaceFactory,
    i18n: I18n | None = None,
    batch_size: int = 100,
) -> SweepReport:
    """Run every follow-up due by `clock`, oldest first, each in its own transaction.

    `i18n` is made the current catalog while they run: the notifier renders with aiogram's
    context-bound gettext, which outside a handler has no catalog of its own.
    """
    counts = dict.fromkeys(Outcome, 0)
    failed = 0
    passed: set[int] = set()  # failed, or held by another runner: not again in this sweep
    while True:
        async with session_factory() as session:
            found = list(
                await session.scalars(
                    select(col(FollowUp.id))
                    .where(
                        col(FollowUp.done_at).is_(None),
                        col(FollowUp.due_at) <= clock.now(),
                        col(FollowUp.id).not_in(passed),
                    )
                    .order_by(col(FollowUp.due_at), col(FollowUp.id))
                    .limit(batch_size)
                )
            )
        batch = [follow_up_id for follow_up_id in found if follow_up_id is not None]
        if not batch:
            return SweepReport(
                acted=counts[Outcome.ACTED],
                moot=counts[Outcome.MOOT],
                failed=failed,
                skipped=counts[Outcome.SKIPPED],
            )
        for follow_up_id in batch:
            try:
                outcome = await run_one_follow_up(
                    session_factory,
                    follow_up_id=follow_up_id,
                    clock=clock,
                    make_workspace=make_workspace,
                    i18n=i18n,
                )
            except Exception:
                log.exception("follow_up_failed", follow_up_id=follow_up_id)
                passed.add(follow_up_id)
                failed += 1
                continue
            if outcome is None:
                passed.add(follow_up_id)
            else:
                counts[outcome] += 1


async def run_one_follow_up(
    session_factory: SessionFactory,
    *,
    follow_up_id: int,
    clock: Clock,
    make_workspace: WorkspaceFactory,
    i18n: I18n | None = None,
) -> Outcome | None:
    """Claim one follow-up, carry it out and mark it done, in one transaction.

    Returns what `run_follow_up` returned, or None when the row was done meanwhile or
    another runner holds it.
    """
    ambient = i18n.context() if i18n is not None else contextlib.nullcontext()
    with ambient:
        return await _run_one(session_factory, follow_up_id, clock, make_workspace)


async def _run_one(
    session_factory: SessionFactory,
    follow_up_id: int,
    clock: Clock,
    make_workspace: WorkspaceFactory,
) -> Outcome | None:
    async with session_factory() as session, session.begin():
        row = await session.scalar(
            select(FollowUp)
            .where(col(FollowUp.id) == follow_up_id, col(FollowUp.done_at).is_(None))
            .with_for_update(skip_locked=True)
        )
        if row is None:
            return None
        # Done before it runs: a transition it causes (auto-close) cancels its phase's
        # follow-ups, and must not count this one, which did happen, among them.
        row.done_at = clock.now()
        await session.flush()
        workspace = make_workspace(session)
        outcome = await run_follow_up(workspace, ticket_id=row.ticket_id, kind=row.kind)
        row.skipped = outcome is Outcome.SKIPPED
    log.info("follow_up_done", follow_up_id=follow_up_id, kind=row.kind, outcome=str(outcome))
    return outcome


@dataclass(frozen=True)
class DraftExpiry:
    drafts: int = 0
    files: int = 0


async def expired_drafts(session: AsyncSession, *, before: datetime) -> tuple[int, UnusedFiles]:
    """Delete report and praise drafts untouched since `before`; return how many, and their files
    (photos, sealed originals) nothing else uses, to delete once the transaction commits."""
    expired = list(
        await session.scalars(
            select(FsmRecord).where(
                is_draft_state(),
                col(FsmRecord.updated_at) < before,
            )
        )
    )
    if not expired:
        return 0, UnusedFiles()
    keys = [record.key for record in expired]
    await session.execute(delete(FsmRecord).where(col(FsmRecord.key).in_(keys)))
    # The same photo (content-addressed) may be evidence, or in another live draft.
    return len(keys), await unused_draft_files(session, [record.data for record in expired])


async def expire_drafts(
    session_factory: SessionFactory, *, clock: Clock, media: MediaStore, ttl_hours: int
) -> DraftExpiry:
    """Forget report drafts untouched for `ttl_hours`, and their photos no ticket uses;
    an expiry that deleted something is recorded in the purge audit."""
    now = clock.now()
    async with session_factory() as session, session.begin():
        drafts, orphans = await expired_drafts(session, before=now - timedelta(hours=ttl_hours))
        if drafts:
            record_purges(
                session,
                {"drafts": drafts, "draft_files": len(orphans)},
                at=now,
                trigger="schedule",
            )
    if not drafts:
        return DraftExpiry()
    deleted = await delete_unused(media, orphans)
    log.info("drafts_expired", drafts=drafts, files=deleted)
    return DraftExpiry(drafts=drafts, files=deleted)
