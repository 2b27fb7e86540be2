"""calendar_day: holidays and make-up working days set in the web console

Revision ID: 0021_calendar_days
Revises: 0020_supporters
Create Date: 2026-12-27 10:00:00

One row per date, over the packaged schedule and HOLIDAYS_FILE; who added it is the
administrator's keyed hash, as in the audit log. A new table, nothing to seed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0021_calendar_days"
down_revision: str | None = "0020_supporters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("added_by", sa.String(length=16), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("calendar_day")
