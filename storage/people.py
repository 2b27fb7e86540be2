"""Repository for the people side: department members, language preferences, reachability."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.identity import lookup_hash
from storage.models import Member, Reporter, UserPref
from tickets.actors import Actor, Membership, Role


class PeopleRepo:
    """Reads and writes who a chat user is to snapreport."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def actor(self, *, user_id: int, admin_ids: frozenset[int]) -> Actor:
        rows = await self._session.scalars(
            select(Member).where(
                col(Member.user_hash) == lookup_hash(self._session, user_id),
                col(Member.removed_at).is_(None),
            )
        )
        memberships = tuple(
            Membership(department_id=m.department_id, role=Role(m.role), member_id=m.id or 0)
            for m in rows
        )
        return Actor(user_id=user_id, is_admin=user_id in admin_ids, memberships=memberships)

    async def get_language(self, *, user_id: int) -> str | None:
        pref = await self._session.get(UserPref, lookup_hash(self._session, user_id))
        return pref.language if pref else None

    async def set_language(self, *, user_id: int, language: str) -> None:
        user_hash = lookup_hash(self._session, user_id)
        pref = await self._session.get(UserPref, user_hash)
        if pref is None:
            self._session.add(
                UserPref(user_hash=user_hash, channel_user_id=user_id, language=language)
            )
        else:
            pref.language = language

    async def mark_reachable(self, *, user_id: int) -> bool:
        """Mark a reporter the outbox gave up on (403) reachable; tell whether they were not."""
        reporter = await self._session.scalar(
            select(Reporter).where(
                col(Reporter.channel) == "telegram",
                col(Reporter.user_hash) == lookup_hash(self._session, user_id),
                col(Reporter.reachable).is_(False),
            )
        )
        if reporter is None:
            return False
        reporter.reachable = True
        return True
