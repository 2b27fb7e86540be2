"""The directory on SQLModel: departments, members, invites, routing rules, place tags,
deadline policy, and the security log. One class implements both the directory use cases'
`tickets.membership.DirectoryPort` and the reports' `tickets.ports.DirectoryRepository`
(they were two near-namesakes over the same tables); never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.identity import lookup_hash
from storage.models import (
    DeadlinePolicyRow,
    Department,
    Invite,
    Member,
    RoutingRule,
    SecurityEvent,
    SourceTag,
)
from storage.rows import rows_changed
from tickets.actors import Role
from tickets.membership import DepartmentView, InviteView, MemberView, RuleView, TagView

DETAIL_MAX = 500
INTAKE_DEPARTMENT_NAME = "受理中心"


def department_view(row: Department, members: int = 0) -> DepartmentView:
    assert row.id is not None
    return DepartmentView(
        id=row.id,
        name=row.name,
        is_intake=row.is_intake,
        archived=row.archived,
        group_chat_id=row.group_chat_id,
        members=members,
        parent_id=row.parent_id,
    )


def member_view(row: Member) -> MemberView:
    assert row.id is not None
    return MemberView(
        id=row.id,
        user_id=row.channel_user_id,
        display_name=row.display_name,
        role=Role(row.role),
        department_id=row.department_id,
        joined_at=row.created_at,
    )


def invite_view(row: Invite) -> InviteView:
    assert row.id is not None
    return InviteView(
        token=row.token,
        department_id=row.department_id,
        role=Role(row.role),
        expires_at=row.expires_at,
        used_at=row.used_at,
        id=row.id,
    )


def active() -> ColumnElement[bool]:
    return col(Member.removed_at).is_(None)


class SqlDirectory:
    """Departments and who works in them, for one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- departments ----------------------------------------------------------------------

    async def get_department(self, *, department_id: int) -> DepartmentView | None:
        row = await self._session.get(Department, department_id)
        return department_view(row) if row else None

    async def department_by_name(self, *, name: str) -> DepartmentView | None:
        row = await self._session.scalar(select(Department).where(col(Department.name) == name))
        return department_view(row) if row else None

    async def add_department(self, *, name: str, now: datetime) -> DepartmentView:
        row = Department(name=name, created_at=now)
        self._session.add(row)
        await self._session.flush()
        return department_view(row)

    async def update_department(
        self,
        *,
        department_id: int,
        name: str | None = None,
        archived: bool | None = None,
        group_chat_id: int | None = None,
        unbind: bool = False,
    ) -> DepartmentView:
        row = await self._session.get(Department, department_id)
        assert row is not None
        if name is not None:
            row.name = name
        if archived is not None:
            row.archived = archived
        if group_chat_id is not None:
            row.group_chat_id = group_chat_id
        if unbind:
            row.group_chat_id = None
        await self._session.flush()
        return department_view(row)

    async def set_parent(self, *, department_id: int, parent_id: int | None) -> DepartmentView:
        row = await self._session.get(Department, department_id)
        assert row is not None
        row.parent_id = parent_id
        await self._session.flush()
        return department_view(row)

    async def department_parents(self) -> dict[int, int | None]:
        rows = await self._session.scalars(select(Department))
        return {row.id: row.parent_id for row in rows if row.id is not None}

    async def departments_bound_to(self, *, chat_id: int) -> list[DepartmentView]:
        rows = await self._session.scalars(
            select(Department).where(col(Department.group_chat_id) == chat_id)
        )
        return [department_view(row) for row in rows]

    async def list_departments(self) -> list[DepartmentView]:
        """Every department, intake first, with its number of active members."""
        result = await self._session.execute(
            select(col(Member.department_id), func.count())
            .where(active())
            .group_by(col(Member.department_id))
        )
        counts = {department_id: int(count) for department_id, count in result}
        rows = await self._session.scalars(
            select(Department).order_by(col(Department.is_intake).desc(), col(Department.id))
        )
        return [department_view(row, counts.get(row.id or 0, 0)) for row in rows]

    # -- invites ----------------------------------------------------------------------------

    async def add_invite(
        self,
        *,
        token: str,
        department_id: int,
        role: Role,
        created_by: int,
        expires_at: datetime,
    ) -> int:
        row = Invite(
            token=token,
            department_id=department_id,
            role=str(role),
            created_by=created_by,
            expires_at=expires_at,
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def get_invite(self, *, token: str) -> InviteView | None:
        row = await self._session.scalar(select(Invite).where(col(Invite.token) == token))
        return invite_view(row) if row else None

    async def list_open_invites(self, *, now: datetime) -> list[InviteView]:
        rows = await self._session.scalars(
            select(Invite)
            .where(col(Invite.used_at).is_(None), col(Invite.expires_at) > now)
            .order_by(col(Invite.id))
        )
        return [invite_view(row) for row in rows]

    async def expire_invite(self, *, invite_id: int, at: datetime) -> InviteView | None:
        # Conditional, like `use_invite`: an invite opened meanwhile stays used.
        result = await self._session.execute(
            update(Invite)
            .where(
                col(Invite.id) == invite_id,
                col(Invite.used_at).is_(None),
                col(Invite.expires_at) > at,
            )
            .values(expires_at=at)
        )
        if rows_changed(result) != 1:
            return None
        row = await self._session.get(Invite, invite_id, populate_existing=True)
        return invite_view(row) if row else None

    async def use_invite(self, *, token: str, user_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(Invite)
            .where(col(Invite.token) == token, col(Invite.used_at).is_(None))
            .values(used_at=at, used_by=user_id)
        )
        return rows_changed(result) == 1

    # -- members ----------------------------------------------------------------------------

    async def get_member(self, *, member_id: int) -> MemberView | None:
        row = await self._session.get(Member, member_id)
        return member_view(row) if row and row.removed_at is None else None

    async def active_member(self, *, user_id: int, department_id: int) -> MemberView | None:
        row = await self._session.scalar(
            select(Member).where(
                col(Member.user_hash) == lookup_hash(self._session, user_id),
                col(Member.department_id) == department_id,
                active(),
            )
        )
        return member_view(row) if row else None

    async def add_member(
        self, *, user_id: int, display_name: str, role: Role, department_id: int, now: datetime
    ) -> MemberView:
        row = Member(
            channel_user_id=user_id,
            display_name=display_name,
            role=str(role),
            department_id=department_id,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return member_view(row)

    async def set_role(self, *, member_id: int, role: Role) -> None:
        row = await self._session.get(Member, member_id)
        assert row is not None
        row.role = str(role)

    async def remove_member(self, *, member_id: int, at: datetime) -> None:
        row = await self._session.get(Member, member_id)
        if row is not None and row.removed_at is None:
            row.removed_at = at

    async def list_members(self, *, department_id: int) -> list[MemberView]:
        """Active members, supervisors first, then by when they joined."""
        rows = await self._session.scalars(
            select(Member)
            .where(col(Member.department_id) == department_id, active())
            .order_by(col(Member.role).desc(), col(Member.created_at), col(Member.id))
        )
        return [member_view(row) for row in rows]

    async def member_names(self, *, user_ids: set[int]) -> dict[int, str]:
        """Staff names by Telegram user id (any department, the newest membership wins)."""
        if not user_ids:
            return {}
        rows = await self._session.scalars(
            select(Member)
            .where(
                col(Member.user_hash).in_(
                    sorted(lookup_hash(self._session, user_id) for user_id in user_ids)
                )
            )
            .order_by(col(Member.id))
        )
        return {row.channel_user_id: row.display_name for row in rows}

    # -- routing rules and tags ---------------------------------------------------------------

    async def add_rule(
        self,
        *,
        department_id: int,
        category: str | None,
        source_tag: str | None,
        priority: int,
    ) -> RuleView:
        row = RoutingRule(
            department_id=department_id,
            category=category,
            source_tag=source_tag,
            priority=priority,
        )
        self._session.add(row)
        await self._session.flush()
        department = await self._session.get(Department, department_id)
        assert row.id is not None and department is not None
        return RuleView(row.id, department_id, department.name, category, source_tag, priority)

    async def delete_rule(self, *, rule_id: int) -> bool:
        result = await self._session.execute(
            delete(RoutingRule).where(col(RoutingRule.id) == rule_id)
        )
        return bool(rows_changed(result))

    async def list_rules(self) -> list[RuleView]:
        rows = await self._session.execute(
            select(RoutingRule, Department)
            .join(Department, col(Department.id) == col(RoutingRule.department_id))
            .order_by(col(RoutingRule.id))
        )
        return [
            RuleView(
                id=rule.id or 0,
                department_id=rule.department_id,
                department_name=department.name + (" (archived)" if department.archived else ""),
                category=rule.category,
                source_tag=rule.source_tag,
                priority=rule.priority,
            )
            for rule, department in rows
        ]

    async def tag_exists(self, *, tag: str) -> bool:
        return await self._session.get(SourceTag, tag) is not None

    async def upsert_tag(self, *, tag: str, place_text: str, department_id: int | None) -> None:
        row = await self._session.get(SourceTag, tag)
        if row is None:
            self._session.add(
                SourceTag(tag=tag, place_text=place_text, department_id=department_id)
            )
        else:
            row.place_text = place_text
            if department_id is not None:
                row.department_id = department_id
        await self._session.flush()

    async def get_tag(self, *, tag: str) -> TagView | None:
        row = await self._session.get(SourceTag, tag)
        return TagView(tag=row.tag, place_text=row.place_text) if row else None

    async def list_tags(self) -> list[TagView]:
        rows = await self._session.scalars(select(SourceTag).order_by(col(SourceTag.tag)))
        return [TagView(tag=row.tag, place_text=row.place_text) for row in rows]

    # -- routing and deadline policy (the domain's `DirectoryRepository` port) -----------

    async def routing_rules(self) -> list[RoutingRule]:
        rows = await self._session.scalars(
            select(RoutingRule)
            .join(Department, col(Department.id) == col(RoutingRule.department_id))
            .where(col(Department.archived).is_(False))
        )
        return list(rows)

    async def intake_department_id(self) -> int:
        """The default department, created on first use so a fresh deployment works."""
        row = await self._session.scalar(select(Department).where(col(Department.is_intake)))
        if row is None:
            row = Department(name=INTAKE_DEPARTMENT_NAME, is_intake=True)
            try:
                # A savepoint: two first reports at once on PostgreSQL both try to create it,
                # and the loser must not lose its whole transaction (the ticket) with it.
                async with self._session.begin_nested():
                    self._session.add(row)
            except IntegrityError:
                row = await self._session.scalar(
                    select(Department).where(col(Department.is_intake))
                )
                assert row is not None, "the intake department's name is taken"
        assert row.id is not None
        return row.id

    async def department_name(self, *, department_id: int) -> str:
        row = await self._session.get(Department, department_id)
        return row.name if row else ""

    async def deadline_days(self, *, category: str) -> tuple[int, int] | None:
        row = await self._session.get(DeadlinePolicyRow, category)
        return (row.accept_days, row.resolve_days) if row else None

    async def list_deadline_days(self) -> dict[str, tuple[int, int]]:
        """The per-category overrides: category → (accept days, resolve days)."""
        rows = await self._session.scalars(select(DeadlinePolicyRow))
        return {row.category: (row.accept_days, row.resolve_days) for row in rows}

    async def set_deadline_days(
        self, *, category: str, accept_days: int, resolve_days: int
    ) -> None:
        row = await self._session.get(DeadlinePolicyRow, category)
        if row is None:
            self._session.add(
                DeadlinePolicyRow(
                    category=category, accept_days=accept_days, resolve_days=resolve_days
                )
            )
        else:
            row.accept_days, row.resolve_days = accept_days, resolve_days


class SecurityLog:
    """Refused actions; the actor is a hash (see `config.logs.user_hash`), never an id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, *, actor_hash: str, kind: str, detail: str, at: datetime) -> None:
        self._session.add(
            SecurityEvent(at=at, actor_hash=actor_hash, kind=kind[:32], detail=detail[:DETAIL_MAX])
        )
        await self._session.flush()

    async def list_recent(self, *, limit: int = 20) -> list[SecurityEvent]:
        rows = await self._session.scalars(
            select(SecurityEvent).order_by(col(SecurityEvent.id).desc()).limit(limit)
        )
        return list(rows)
