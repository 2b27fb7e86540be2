"""evidence custody: the original upload's sha256, and retrievals in the identity audit

Revision ID: 0009_evidence_original
Revises: 0008_findings
Create Date: 2026-12-06 09:00:00

Evidence filed from now on keeps the sha256 of the upload as received (its sealed copy sits
in the media store); older evidence has none. An `identity_view` row now says what was seen:
every existing row is a look at a name and phone, which the default says.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_evidence_original"
down_revision: str | None = "0008_findings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild (see 0006).
    op.add_column("evidence", sa.Column("original_sha256", sa.String(length=64), nullable=True))
    op.create_index("ix_evidence_original_sha256", "evidence", ["original_sha256"])
    op.add_column(
        "identity_view",
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="identity"),
    )
    op.add_column("identity_view", sa.Column("evidence_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("identity_view", "evidence_id")
    op.drop_column("identity_view", "kind")
    op.drop_index("ix_evidence_original_sha256", table_name="evidence")
    op.drop_column("evidence", "original_sha256")
