"""moderation: redacted passages and hidden photos of a ticket's publication

Revision ID: 0019_moderation
Revises: 0018_praise
Create Date: 2026-12-06 10:00:00

A new table, nothing to seed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0019_moderation"
down_revision: str | None = "0018_praise"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_hash", sa.String(length=16), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reverted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reverted_by_hash", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moderation_ticket_id", "moderation", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_moderation_ticket_id", table_name="moderation")
    op.drop_table("moderation")
