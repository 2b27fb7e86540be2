"""Praises and their photos (`tickets.praise`), on the caller's unit of work.

A praise points at its sender's reporter row, the one their reports use (channel id
encrypted, found by keyed hash), and stores the draft's submit key only as its keyed hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.identity import keys_of, lookup_hash
from storage.models import Department, Praise, PraisePhoto, Reporter
from storage.repositories import SqlTicketRepository
from tickets.views import NewPraise, PhotoRef, PraiseView


class SqlPraiseRepository:
    """`tickets.ports.PraiseRepository` on SQLModel."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _submit_digest(self, submit_key: str) -> str:
        return keys_of(self._session).lookup_hash(submit_key)

    async def get_by_submit_key(self, *, submit_key: str) -> PraiseView | None:
        row = await self._session.scalar(
            select(Praise).where(col(Praise.submit_key) == self._submit_digest(submit_key))
        )
        return await self._view(row) if row else None

    async def add(self, *, draft: NewPraise, department_id: int, now: datetime) -> PraiseView:
        reporter = await SqlTicketRepository(self._session).reporter(
            user_id=draft.reporter_user_id, channel=draft.channel, address=draft.reporter_address
        )
        reporter.language = draft.language or reporter.language
        row = Praise(
            submit_key=self._submit_digest(draft.submit_key),
            department_id=department_id,
            description=draft.description,
            channel=draft.channel,
            reporter_id=reporter.id or 0,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        self._session.add_all(
            PraisePhoto(
                praise_id=row.id,
                sha256=photo.sha256,
                original_sha256=photo.original_sha256,
                size_bytes=photo.size_bytes,
                width=photo.width,
                height=photo.height,
                telegram_file_id=photo.telegram_file_id,
            )
            for photo in draft.photos
        )
        await self._session.flush()
        return await self._view(row)

    async def count_since(self, *, reporter_user_id: int, channel: str, since: datetime) -> int:
        count = await self._session.scalar(
            select(func.count())
            .select_from(Praise)
            .join(Reporter, col(Reporter.id) == col(Praise.reporter_id))
            .where(
                col(Reporter.channel) == channel,
                col(Reporter.user_hash) == lookup_hash(self._session, reporter_user_id),
                col(Praise.created_at) >= since,
            )
        )
        return int(count or 0)

    async def _view(self, row: Praise) -> PraiseView:
        assert row.id is not None
        department = await self._session.get(Department, row.department_id)
        photos = await self._session.scalars(
            select(PraisePhoto)
            .where(col(PraisePhoto.praise_id) == row.id)
            .order_by(col(PraisePhoto.id))
        )
        return PraiseView(
            id=row.id,
            department_id=row.department_id,
            department_name=department.name if department else str(row.department_id),
            description=row.description,
            channel=row.channel,
            created_at=row.created_at,
            photos=tuple(
                PhotoRef(
                    sha256=p.sha256,
                    phash=None,
                    size_bytes=p.size_bytes,
                    width=p.width,
                    height=p.height,
                    telegram_file_id=p.telegram_file_id,
                    original_sha256=p.original_sha256,
                )
                for p in photos
            ),
        )
