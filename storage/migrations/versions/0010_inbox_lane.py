"""inbox_update.lane_hash: find a user's older unhandled updates across replicas

Revision ID: 0010_inbox_lane
Revises: 0009_evidence_original
Create Date: 2026-12-08 10:00:00

With several replicas the one that holds a user's lane lock handles that user's stored,
unhandled updates oldest first; the keyed hash of the lane (sender, else chat) finds them
without decrypting payloads. Rows stored before this revision keep NULL: they are replayed
at the next start in update_id order, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_inbox_lane"
down_revision: str | None = "0009_evidence_original"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox_update", sa.Column("lane_hash", sa.String(length=32), nullable=True))
    op.create_index("ix_inbox_update_lane", "inbox_update", ["lane_hash", "update_id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_update_lane", table_name="inbox_update")
    op.drop_column("inbox_update", "lane_hash")
