"""The web console's rows: one-time login links, browser sessions, and evidence files.

A login link is spent by one conditional UPDATE (unused and unexpired), so two browsers
racing with the same link cannot both get in. Expired rows are deleted as new ones come.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.media import MediaStore
from storage.models import ConsoleLogin, ConsoleSession, Evidence
from storage.rows import rows_changed
from tickets.ports import ConsoleSessionView


class SqlConsoleAccess:
    """`tickets.ports.ConsoleAccess` on the request's session and the media store."""

    def __init__(self, session: AsyncSession, media: MediaStore) -> None:
        self._session = session
        self._media = media

    async def issue_login(
        self, *, user_id: int, token_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._session.execute(delete(ConsoleLogin).where(col(ConsoleLogin.expires_at) < now))
        self._session.add(
            ConsoleLogin(
                token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
            )
        )
        await self._session.flush()

    async def redeem_login(self, *, token_hash: str, now: datetime) -> int | None:
        spent = await self._session.execute(
            update(ConsoleLogin)
            .where(
                col(ConsoleLogin.token_hash) == token_hash,
                col(ConsoleLogin.used_at).is_(None),
                col(ConsoleLogin.expires_at) > now,
            )
            .values(used_at=now)
        )
        if rows_changed(spent) != 1:
            return None
        row = await self._session.scalar(
            select(ConsoleLogin).where(col(ConsoleLogin.token_hash) == token_hash)
        )
        return row.user_id if row is not None else None

    async def open_session(
        self,
        *,
        token_hash: str,
        user_id: int,
        csrf: str,
        language: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self._session.execute(
            delete(ConsoleSession).where(col(ConsoleSession.expires_at) < now)
        )
        self._session.add(
            ConsoleSession(
                token_hash=token_hash,
                user_id=user_id,
                csrf=csrf,
                language=language,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    async def session(self, *, token_hash: str, now: datetime) -> ConsoleSessionView | None:
        row = await self._session.scalar(
            select(ConsoleSession).where(
                col(ConsoleSession.token_hash) == token_hash,
                col(ConsoleSession.expires_at) > now,
            )
        )
        if row is None:
            return None
        return ConsoleSessionView(
            user_id=row.user_id, csrf=row.csrf, language=row.language, expires_at=row.expires_at
        )

    async def end_session(self, *, token_hash: str) -> None:
        await self._session.execute(
            delete(ConsoleSession).where(col(ConsoleSession.token_hash) == token_hash)
        )

    async def set_language(self, *, token_hash: str, language: str) -> None:
        await self._session.execute(
            update(ConsoleSession)
            .where(col(ConsoleSession.token_hash) == token_hash)
            .values(language=language)
        )

    async def evidence(self, *, ticket_id: int) -> list[str]:
        rows = await self._session.scalars(
            select(col(Evidence.sha256))
            .where(col(Evidence.ticket_id) == ticket_id, col(Evidence.kind) == "photo")
            .order_by(col(Evidence.id))
        )
        return list(rows)

    async def photo(self, *, sha256: str) -> bytes:
        return await asyncio.to_thread(self._media.get, sha256)
