"""findings on resolved tickets (ticket.finding, finding_actions, people_concerned)

Revision ID: 0008_findings
Revises: 0007_retention
Create Date: 2026-12-08 10:00:00

A resolution records its finding (查实 / 部分属实 / 不属实 / 无法核实) and, when the report
held, the sanctions taken and how many people were concerned. Tickets resolved before
have none: they stay out of the findings' statistics.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_findings"
down_revision: str | None = "0007_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild: rebuilding `ticket` on SQLite would trip the
    # foreign keys that point at it.
    op.add_column("ticket", sa.Column("finding", sa.String(length=16), nullable=True))
    op.add_column("ticket", sa.Column("finding_actions", sa.JSON(), nullable=True))
    op.add_column("ticket", sa.Column("people_concerned", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket", "people_concerned")
    op.drop_column("ticket", "finding_actions")
    op.drop_column("ticket", "finding")
