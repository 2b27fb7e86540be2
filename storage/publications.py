"""What publishing a ticket reads and writes: its `published` event, place tag and photos,
and its moderation records (`moderation`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from config.logs import user_hash
from storage.models import Evidence, ModerationRecord, SourceTag, Ticket, TicketEvent
from storage.repositories import SqlTicketRepository
from tickets.moderation import Moderation, ModerationKind, PublicPhoto
from tickets.publishing import PUBLISHED_EVENT, PhotoChoice
from tickets.states import ActorKind


class SqlPublicationStore(SqlTicketRepository):
    """`tickets.publishing.PublicationStore` on the database; never commits."""

    async def published_at(self, *, ticket_id: int) -> datetime | None:
        return await self._session.scalar(
            select(col(TicketEvent.at))
            .where(
                col(TicketEvent.ticket_id) == ticket_id, col(TicketEvent.kind) == PUBLISHED_EVENT
            )
            .limit(1)
        )

    async def tag_place(self, *, tag: str) -> str | None:
        row = await self._session.get(SourceTag, tag)
        return row.place_text if row else None

    async def satisfaction_default(self, *, ticket_id: int) -> bool:
        row = await self._session.get(Ticket, ticket_id)
        return bool(row and row.satisfaction_default)

    async def public_photos(self, *, ticket_id: int, choice: PhotoChoice) -> list[PublicPhoto]:
        if choice is PhotoChoice.REPORT:
            rows = await self._session.execute(
                select(col(Evidence.id), col(Evidence.telegram_file_id))
                .where(
                    col(Evidence.ticket_id) == ticket_id,
                    col(Evidence.telegram_file_id).is_not(None),
                )
                .order_by(col(Evidence.id))
            )
            return [PublicPhoto(f"evidence:{id_}", file_id) for id_, file_id in rows if file_id]
        if choice is PhotoChoice.RESULT:
            # The latest reply's photos: a reopened ticket may have been resolved twice.
            payload = await self._session.scalar(
                select(col(TicketEvent.payload))
                .where(
                    col(TicketEvent.ticket_id) == ticket_id,
                    col(TicketEvent.kind) == "result_photos",
                )
                .order_by(col(TicketEvent.at).desc(), col(TicketEvent.id).desc())
                .limit(1)
            )
            photos = (payload or {}).get("photos")
            if not isinstance(photos, list):
                return []
            ids = [p for p in photos if isinstance(p, str)]
            return [PublicPhoto(f"result:{n}", file_id) for n, file_id in enumerate(ids, 1)]
        return []

    async def record_published(
        self, *, ticket_id: int, at: datetime, actor_id: int, photos: PhotoChoice
    ) -> None:
        await self.add_event(
            ticket_id=ticket_id,
            at=at,
            actor_kind=str(ActorKind.MEMBER),
            actor_id=actor_id,
            kind=PUBLISHED_EVENT,
            payload={"photos": str(photos)},
        )

    async def moderations(self, *, ticket_id: int) -> list[Moderation]:
        rows = await self._session.scalars(
            select(ModerationRecord)
            .where(col(ModerationRecord.ticket_id) == ticket_id)
            .order_by(col(ModerationRecord.id))
        )
        return [_moderation(row) for row in rows]

    async def add_moderation(
        self,
        *,
        ticket_id: int,
        kind: ModerationKind,
        target: str,
        reason: str,
        actor_id: int,
        at: datetime,
    ) -> Moderation:
        row = ModerationRecord(
            ticket_id=ticket_id,
            kind=str(kind),
            target=target,
            reason=reason,
            actor_hash=user_hash(actor_id),
            at=at,
        )
        self._session.add(row)
        await self._session.flush()
        return _moderation(row)

    async def revert_moderation(self, *, moderation_id: int, actor_id: int, at: datetime) -> None:
        row = await self._session.get(ModerationRecord, moderation_id)
        if row is not None:
            row.reverted_at = at
            row.reverted_by_hash = user_hash(actor_id)
            await self._session.flush()


def _moderation(row: ModerationRecord) -> Moderation:
    assert row.id is not None
    return Moderation(
        id=row.id,
        ticket_id=row.ticket_id,
        kind=ModerationKind(row.kind),
        target=row.target,
        reason=row.reason,
        actor=row.actor_hash,
        at=row.at,
        reverted_at=row.reverted_at,
        reverted_by=row.reverted_by_hash,
    )
