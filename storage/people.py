"""Repository for the people side: department members, language preferences, reachability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from storage.identity import lookup_hash
from storage.models import Member, Reporter, UserPref
from tickets.actors import Actor, Membership, Role


@dataclass(frozen=True)
class Sender:
    """Who sent an update, as every update needs it: roles, `/lang` choice, and whether the
    outbox gave up on them as a reporter (a 403) and they should be marked reachable."""

    actor: Actor
    language: str | None
    unreachable: bool


def _sender_statement() -> Select[Any]:
    """The sender's memberships (a row each, or one empty row) beside their language and
    reachability; built once (built per update, it was a fifth of the read's profile)."""
    user_hash: BindParameter[str] = bindparam("user_hash")
    language = select(col(UserPref.language)).where(col(UserPref.user_hash) == user_hash)
    unreachable = exists().where(
        col(Reporter.channel) == "telegram",
        col(Reporter.user_hash) == user_hash,
        col(Reporter.reachable).is_(False),
    )
    one = select(literal(1).label("one")).subquery()
    member = and_(col(Member.user_hash) == user_hash, col(Member.removed_at).is_(None))
    return select(
        col(Member.department_id),
        col(Member.role),
        col(Member.id),
        language.scalar_subquery().label("language"),
        unreachable.label("unreachable"),
    ).select_from(one.outerjoin(Member, member))


_SENDER = _sender_statement()


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

    async def sender(self, *, user_id: int, admin_ids: frozenset[int]) -> Sender:
        """`actor`, `get_language` and the unreachable check in one statement: each update
        starts with them, and one round trip costs a third of three."""
        rows = (
            await self._session.execute(
                _SENDER, {"user_hash": lookup_hash(self._session, user_id)}
            )
        ).all()
        memberships = tuple(
            Membership(department_id=row.department_id, role=Role(row.role), member_id=row.id)
            for row in rows
            if row.id is not None
        )
        actor = Actor(user_id=user_id, is_admin=user_id in admin_ids, memberships=memberships)
        return Sender(actor, rows[0].language, bool(rows[0].unreachable))

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
