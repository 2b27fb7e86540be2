"""The identity audit on SQLModel: who looked at a real-name reporter's name and phone, or
took an original upload out of custody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from config.logs import user_hash
from storage.models import Department, Evidence, IdentityView, Member
from tickets.views import IdentityViewEntry


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
