"""What publishing a ticket reads and writes: its `published` event, place tag and photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from storage.models import Evidence, SourceTag, Ticket, TicketEvent
from storage.repositories import SqlTicketRepository
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

    async def photo_file_ids(self, *, ticket_id: int, choice: PhotoChoice) -> list[str]:
        if choice is PhotoChoice.REPORT:
            rows = await self._session.scalars(
                select(col(Evidence.telegram_file_id))
                .where(
                    col(Evidence.ticket_id) == ticket_id,
                    col(Evidence.telegram_file_id).is_not(None),
                )
                .order_by(col(Evidence.id))
            )
            return [file_id for file_id in rows if file_id]
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
            return [p for p in photos if isinstance(p, str)] if isinstance(photos, list) else []
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
