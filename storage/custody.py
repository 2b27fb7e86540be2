"""The sealed original uploads of evidence: reading them back, and re-sealing on rotation.

`SqlEvidenceVault` is `tickets.custody.EvidenceVault` on the update's session and the media
store: it lists a ticket's evidence and decrypts an original with the engine's key ring
(`storage.identity`); the use case checks the hash. `reseal_originals` is the media half of
`snapreport keys rotate`: files cannot join the database transaction, so it runs after it,
one file at a time, skipping files already under the current key (each sealed file names
its key), which makes it safe to run again after an interruption as long as the old key is
still in IDENTITY_KEY_OLD.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import SessionFactory
from storage.fsm import draft_original_shas, is_draft_state
from storage.identity import IdentityDecryptError, IdentityKeyError, IdentityKeys, keys_of
from storage.media import MediaStore
from storage.models import Evidence, FsmRecord, PraisePhoto
from tickets.custody import EvidenceItem, OriginalUnreadable, Unreadable

log = structlog.get_logger(__name__)


class SqlEvidenceVault:
    """`tickets.custody.EvidenceVault` on the update's session and the media store."""

    def __init__(self, session: AsyncSession, media: MediaStore) -> None:
        self._session = session
        self._media = media

    async def evidence(self, *, ticket_id: int) -> list[EvidenceItem]:
        rows = await self._session.execute(
            select(col(Evidence.id), col(Evidence.sha256), col(Evidence.original_sha256))
            .where(col(Evidence.ticket_id) == ticket_id)
            .order_by(col(Evidence.id))
        )
        return [
            EvidenceItem(id=row_id or 0, number=number, sha256=sha, original_sha256=original)
            for number, (row_id, sha, original) in enumerate(rows, 1)
        ]

    async def open_original(self, *, original_sha256: str) -> bytes:
        keys = keys_of(self._session)
        try:
            sealed = await asyncio.to_thread(self._media.get_original, original_sha256)
        except FileNotFoundError:
            raise OriginalUnreadable(Unreadable.MISSING) from None
        try:
            return keys.open_original(sealed, sha256=original_sha256)
        except (IdentityDecryptError, IdentityKeyError) as error:
            log.error("original_undecryptable", sha256=original_sha256[:12], error=str(error))
            raise OriginalUnreadable(Unreadable.UNDECRYPTABLE) from None


@dataclass
class ResealReport:
    """What a rotation did to the sealed originals."""

    resealed: int = 0
    current: int = 0
    missing: int = 0
    damaged: int = 0


async def reseal_originals(sessions: SessionFactory, media: MediaStore) -> ResealReport:
    """Re-seal every original (of evidence, praises, live drafts) under the current key."""
    async with sessions() as session:
        keys = keys_of(session)
        shas = set(
            await session.scalars(
                select(col(Evidence.original_sha256)).where(
                    col(Evidence.original_sha256).is_not(None)
                )
            )
        )
        shas |= set(
            await session.scalars(
                select(col(PraisePhoto.original_sha256)).where(
                    col(PraisePhoto.original_sha256).is_not(None)
                )
            )
        )
        drafts = await session.scalars(select(FsmRecord).where(is_draft_state()))
        for record in drafts:
            shas |= draft_original_shas(record.data)
    report = ResealReport()
    for sha in sorted(s for s in shas if s):
        outcome = await asyncio.to_thread(_reseal, media, keys, sha)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _reseal(media: MediaStore, keys: IdentityKeys, sha: str) -> str:
    try:
        sealed = media.get_original(sha)
    except FileNotFoundError:
        return "missing"
    if keys.sealed_with_current(sealed):
        return "current"
    try:
        data = keys.open_original(sealed, sha256=sha)
    except (IdentityDecryptError, IdentityKeyError):
        log.error("original_not_resealed", sha256=sha[:12])
        return "damaged"
    media.put_original(sha, keys.seal_original(data, sha256=sha), replace=True)
    return "resealed"
