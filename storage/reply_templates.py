"""The reply template table behind `tickets.ports.TemplateStore`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import ReplyTemplateRow
from storage.rows import update_row
from tickets.findings import Finding
from tickets.reply_templates import Purpose, ReplyTemplate, TemplateDraft


def template_of(row: ReplyTemplateRow) -> ReplyTemplate:
    assert row.id is not None
    return ReplyTemplate(
        id=row.id,
        title=row.title,
        body=row.body,
        purpose=Purpose(row.purpose),
        category=row.category,
        finding=Finding(row.finding) if row.finding else None,
        active=row.active,
    )


class SqlReplyTemplates:
    """Reply templates on the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_templates(self) -> list[ReplyTemplate]:
        query = select(ReplyTemplateRow).order_by(col(ReplyTemplateRow.id))
        rows = await self._session.scalars(query)
        return [template_of(row) for row in rows]

    async def get_template(self, *, template_id: int) -> ReplyTemplate | None:
        row = await self._session.get(ReplyTemplateRow, template_id)
        return template_of(row) if row is not None else None

    async def add_template(self, draft: TemplateDraft) -> ReplyTemplate:
        row = ReplyTemplateRow(
            title=draft.title,
            body=draft.body,
            purpose=str(draft.purpose),
            category=draft.category,
            finding=str(draft.finding) if draft.finding else None,
        )
        self._session.add(row)
        await self._session.flush()
        return template_of(row)

    async def update_template(
        self,
        *,
        template_id: int,
        title: str | None = None,
        body: str | None = None,
        active: bool | None = None,
    ) -> None:
        await update_row(
            self._session, ReplyTemplateRow, template_id, title=title, body=body, active=active
        )
