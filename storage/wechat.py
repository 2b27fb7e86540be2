"""WeChat's durable state: the push inbox and the shared access_token.

A push is stored before WeChat is answered `success`: its `dedup_key` (MsgId, or sender
+ CreateTime + event for events) is unique, so WeChat's retries of an unanswered push
become no-ops. A push names its follower, so a dump must not: the key is stored as its
keyed hash, the OpenID and the raw XML encrypted, and both are wiped once the push is
handled (the retention purge deletes the row after `INBOX_RETENTION_HOURS`).

The access_token is one per AppID and a new one invalidates the old after
five minutes, so replicas share one row instead of each fetching their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage.db import SessionFactory
from storage.identity import EncryptedJSON, EncryptedStr, keys_of, lookup_hash
from storage.models import FsmRecord, utcnow
from storage.rows import rows_changed
from storage.types import UTCDateTime
from wechat.api import AccessToken


class WeChatPush(SQLModel, table=True):
    """One push from WeChat, kept from receipt until it is handled."""

    __tablename__ = "wechat_push"

    id: int | None = Field(default=None, primary_key=True)
    # The keyed hash of the push's MsgId or sender + time: finds a retry, names nobody.
    dedup_key: str = Field(max_length=160, unique=True)
    # Encrypted while the push waits; None once it is handled.
    open_id: str | None = Field(default=None, sa_type=EncryptedStr)
    msg_type: str = Field(max_length=16)
    xml: str | None = Field(default=None, sa_type=EncryptedStr)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # A push whose handling failed for a while (rate limit, 48-hour window) waits here.
    retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = None
    # The answers decided with the push's effect (in its transaction), and how many went
    # out: a push retried after a failed send resends the rest instead of acting twice.
    # Encrypted: a draft's preview quotes a real-name reporter's name and phone.
    replies: list[str] | None = Field(default=None, sa_type=EncryptedJSON)
    replies_sent: int = 0


class WeChatToken(SQLModel, table=True):
    """The current access_token of one AppID, shared by every replica."""

    __tablename__ = "wechat_token"

    app_id: str = Field(primary_key=True, max_length=64)
    access_token: str = Field(max_length=1024)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class PushInbox:
    """Repository of received pushes."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def add(self, *, dedup_key: str, open_id: str, msg_type: str, xml: str) -> int | None:
        """Store a push not seen before and return its id; None for a retry of a stored one."""
        async with self._sessions() as session:
            hashed = dedup_hash(session, dedup_key)
            seen = await session.scalar(
                select(col(WeChatPush.id)).where(col(WeChatPush.dedup_key) == hashed)
            )
            if seen is not None:
                return None
            row = WeChatPush(dedup_key=hashed, open_id=open_id, msg_type=msg_type, xml=xml)
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:  # a retry that raced the first delivery
                await session.rollback()
                return None
            return row.id

    async def get(self, push_id: int) -> WeChatPush | None:
        async with self._sessions() as session:
            return await session.get(WeChatPush, push_id)

    async def list_pending(self, *, now: datetime) -> list[WeChatPush]:
        """Unhandled pushes whose retry time (if any) has come, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(WeChatPush)
                .where(col(WeChatPush.handled_at).is_(None))
                .where(col(WeChatPush.retry_at).is_(None) | (col(WeChatPush.retry_at) <= now))
                .order_by(col(WeChatPush.id))
            )
            return list(rows)

    async def mark_handled(self, push_id: int, *, at: datetime, error: str | None = None) -> None:
        """Record the push as done and forget what it said and who said it."""
        async with self._sessions() as session, session.begin():
            row = await session.get(WeChatPush, push_id)
            if row is not None:
                row.handled_at, row.last_error = at, error
                row.open_id = row.xml = row.replies = None

    async def reply_sent(self, push_id: int) -> None:
        """Count one more of the push's answers as delivered."""
        async with self._sessions() as session, session.begin():
            row = await session.get(WeChatPush, push_id)
            if row is not None:
                row.replies_sent += 1

    async def postpone(self, push_id: int, *, until: datetime, error: str) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(WeChatPush, push_id)
            if row is not None:
                row.retry_at, row.last_error = until, error[:2000]
                row.attempts += 1


def dedup_hash(session: AsyncSession, dedup_key: str) -> str:
    """The stored form of a push's de-duplication key (it holds the sender's OpenID)."""
    return keys_of(session).lookup_hash(dedup_key)


async def push_by_key(session: AsyncSession, dedup_key: str) -> WeChatPush | None:
    """The stored push with that key, in the caller's unit of work."""
    hashed = dedup_hash(session, dedup_key)
    return await session.scalar(select(WeChatPush).where(col(WeChatPush.dedup_key) == hashed))


async def purge_pushes(session: AsyncSession, *, before: datetime) -> int:
    """Delete pushes handled before `before` (long past WeChat's retries)."""
    result = await session.execute(delete(WeChatPush).where(col(WeChatPush.handled_at) < before))
    return rows_changed(result)


class SqlTokenStore:
    """The access_token in the database, so replicas share one."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def load(self, app_id: str) -> AccessToken | None:
        async with self._sessions() as session:
            row = await session.get(WeChatToken, app_id)
            return None if row is None else AccessToken(row.access_token, row.expires_at)

    async def save(self, app_id: str, token: AccessToken) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(WeChatToken, app_id)
            if row is None:
                session.add(WeChatToken(app_id=app_id, **vars(token)))
            else:
                row.access_token, row.expires_at = token.access_token, token.expires_at


class WeChatDrafts:
    """A follower's report draft in `fsm_record`, on the push's own unit of work.

    The same table as Telegram's drafts and the same `ReportDraft:` state prefix, so the
    draft-expiry job forgets stale WeChat drafts (and their photos) too; the key names the
    follower only by the keyed hash of their number.
    """

    def __init__(self, session: AsyncSession, *, now: Callable[[], datetime]) -> None:
        self._session = session
        self._now = now

    def _key(self, user_key: int) -> str:
        return f"wechat:{lookup_hash(self._session, user_key)}"

    async def get(self, user_key: int) -> tuple[str | None, dict[str, Any]]:
        """The draft's step and data; (None, {}) when there is none."""
        row = await self._session.get(FsmRecord, self._key(user_key))
        return (None, {}) if row is None else (row.state, dict(row.data))

    async def set(self, user_key: int, state: str, data: Mapping[str, Any]) -> None:
        key = self._key(user_key)
        row = await self._session.get(FsmRecord, key)
        if row is None:
            row = FsmRecord(key=key)
            self._session.add(row)
        row.state, row.data, row.updated_at = state, dict(data), self._now()
        await self._session.flush()

    async def clear(self, user_key: int) -> None:
        row = await self._session.get(FsmRecord, self._key(user_key))
        if row is not None:
            await self._session.delete(row)
            await self._session.flush()
