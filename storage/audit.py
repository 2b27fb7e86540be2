"""The identity audit on SQLModel: who looked at a real-name reporter's name and phone, or
took an original upload out of custody; and the console's audit log, which reads it with
the moderation events, the retention purges, the refusals and the configuration changes."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from config.logs import user_hash
from storage.models import (
    Department,
    Evidence,
    IdentityView,
    Member,
    RetentionPurge,
    SecurityEvent,
    Ticket,
    TicketEvent,
)
from tickets.moderation import MODERATION_EVENTS as PUBLICATION_MODERATION
from tickets.views import CONFIG_CHANGE_PREFIX, AuditEntry, IdentityViewEntry

# The staff actions that moderate reports: refusing one, or folding it into another; and
# an administrator's redactions and hidden photos before publishing, and their reverts.
MODERATION_EVENTS = ("reject", "mark_duplicate", *PUBLICATION_MODERATION)
DETAIL_MAX = 300


class SqlIdentityViews:
    """`tickets.ports.IdentityViews` on the update's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        ticket_id: int,
        viewer_user_id: int,
        member_id: int | None,
        role: str,
        at: datetime,
        kind: str = "identity",
        evidence_id: int | None = None,
    ) -> None:
        self._session.add(
            IdentityView(
                ticket_id=ticket_id,
                at=at,
                viewer_hash=user_hash(viewer_user_id),
                member_id=member_id,
                role=role[:16],
                kind=kind[:16],
                evidence_id=evidence_id,
            )
        )
        await self._session.flush()

    async def list_for(self, *, ticket_id: int) -> list[IdentityViewEntry]:
        rows = await self._session.execute(
            select(IdentityView, col(Member.display_name), col(Department.name))
            .outerjoin(Member, col(Member.id) == col(IdentityView.member_id))
            .outerjoin(Department, col(Department.id) == col(Member.department_id))
            .where(col(IdentityView.ticket_id) == ticket_id)
            .order_by(col(IdentityView.at), col(IdentityView.id))
        )
        evidence_ids = await self._session.scalars(
            select(col(Evidence.id))
            .where(col(Evidence.ticket_id) == ticket_id)
            .order_by(col(Evidence.id))
        )
        numbers = {evidence_id: number for number, evidence_id in enumerate(evidence_ids, 1)}
        return [
            IdentityViewEntry(
                at=view.at,
                viewer_hash=view.viewer_hash,
                role=view.role,
                member_id=view.member_id,
                member_name=member_name,
                department_name=department_name,
                kind=view.kind,
                evidence_number=numbers.get(view.evidence_id) if view.evidence_id else None,
            )
            for view, member_name, department_name in rows
        ]


class SqlAuditLog:
    """`tickets.ports.AuditLog`: each kind from its own table, merged newest first.

    Each table gives at most `offset + limit` rows, so a page costs one small read per
    kind; the console caps the offset.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def page(
        self, *, kinds: Collection[str], offset: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        entries: list[AuditEntry] = []
        total = 0
        for kind in kinds:
            statement, at, to_entry = _SOURCES[kind]()
            total += (
                await self._session.scalar(select(func.count()).select_from(statement.subquery()))
                or 0
            )
            rows = await self._session.execute(statement.order_by(at.desc()).limit(offset + limit))
            entries += [to_entry(row) for row in rows]
        entries.sort(key=lambda entry: entry.at, reverse=True)
        return entries[offset : offset + limit], total


Source = tuple[Any, Any, Callable[[Any], AuditEntry]]  # statement, its time column, row maker


def _identity_views() -> Source:
    statement = select(IdentityView, col(Ticket.code)).join(
        Ticket, col(Ticket.id) == col(IdentityView.ticket_id)
    )

    def entry(row: Any) -> AuditEntry:
        view, code = row
        return AuditEntry(
            at=view.at, kind="identity", what=view.kind, who=view.viewer_hash, ticket_code=code
        )

    return statement, col(IdentityView.at), entry


def _moderation() -> Source:
    statement = (
        select(TicketEvent, col(Ticket.code))
        .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
        .where(col(TicketEvent.kind).in_(MODERATION_EVENTS))
    )

    def entry(row: Any) -> AuditEntry:
        event, code = row
        who = user_hash(event.actor_id) if event.actor_id is not None else event.actor_kind
        return AuditEntry(
            at=event.at,
            kind="moderation",
            what=event.kind,
            who=who,
            ticket_code=code,
            detail=_moderation_detail(event),
        )

    return statement, col(TicketEvent.at), entry


def _moderation_detail(event: TicketEvent) -> str:
    """What a publication's moderation step concerned, and its reason."""
    if event.kind not in PUBLICATION_MODERATION:
        return ""
    target = str((event.payload or {}).get("target", ""))
    detail = f"«{target}» — {event.text or ''}" if target else event.text or ""
    return " ".join(detail.split())[:DETAIL_MAX]


def _purges() -> Source:
    def entry(row: Any) -> AuditEntry:
        purge = row[0]
        return AuditEntry(
            at=purge.at, kind="purge", what=purge.kind, who=purge.trigger, detail=str(purge.count)
        )

    return select(RetentionPurge), col(RetentionPurge.at), entry


def _security_events(*, changes: bool) -> Source:
    """Refusals, or (`changes`) administrators' configuration changes: one table, two kinds."""
    kind = "config" if changes else "security"
    is_change = col(SecurityEvent.kind).startswith(CONFIG_CHANGE_PREFIX, autoescape=True)

    def entry(row: Any) -> AuditEntry:
        event = row[0]
        what = event.kind.removeprefix(CONFIG_CHANGE_PREFIX) if changes else event.kind
        return AuditEntry(
            at=event.at, kind=kind, what=what, who=event.actor_hash, detail=event.detail
        )

    statement = select(SecurityEvent).where(is_change if changes else ~is_change)
    return statement, col(SecurityEvent.at), entry


_SOURCES: dict[str, Callable[[], Source]] = {
    "identity": _identity_views,
    "moderation": _moderation,
    "purge": _purges,
    "security": lambda: _security_events(changes=False),
    "config": lambda: _security_events(changes=True),
}
