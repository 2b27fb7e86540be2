"""supporters: citizens who joined an open ticket with 'me too' (我也遇到了)

Revision ID: 0020_supporters
Revises: 0019_moderation
Create Date: 2026-12-20 10:00:00

A supporter is named only by their reporter row (whose channel id is encrypted), one row
per ticket and person. A new table, nothing to seed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0020_supporters"
down_revision: str | None = "0019_moderation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supporter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("rated_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["reporter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_supporter_ticket_reporter", "supporter", ["ticket_id", "reporter_id"], unique=True
    )
    op.create_index("ix_supporter_reporter_id", "supporter", ["reporter_id"])


def downgrade() -> None:
    op.drop_index("ix_supporter_reporter_id", table_name="supporter")
    op.drop_index("uq_supporter_ticket_reporter", table_name="supporter")
    op.drop_table("supporter")
