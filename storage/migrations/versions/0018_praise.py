"""praise (表扬): citizens' praise of a unit (praise) and its photos (praise_photo)

Revision ID: 0018_praise
Revises: 0017_reply_templates
Create Date: 2026-12-15 10:00:00

A praise is not a ticket (`tickets.praise`): it has no state, deadlines or follow-ups. Its
sender is named only by their reporter row (whose channel id is encrypted) and its submit
key only by its keyed hash. Photos are content-addressed in the media store like evidence.
New tables only: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018_praise"
down_revision: str | None = "0017_reply_templates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "praise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submit_key", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["reporter.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submit_key"),
    )
    op.create_index("ix_praise_department_id", "praise", ["department_id"])
    op.create_index("ix_praise_reporter_id", "praise", ["reporter_id"])
    op.create_index("ix_praise_created_at", "praise", ["created_at"])
    op.create_table(
        "praise_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("praise_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["praise_id"], ["praise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_praise_photo_praise_id", "praise_photo", ["praise_id"])
    op.create_index("ix_praise_photo_sha256", "praise_photo", ["sha256"])
    op.create_index("ix_praise_photo_original_sha256", "praise_photo", ["original_sha256"])


def downgrade() -> None:
    op.drop_index("ix_praise_photo_original_sha256", table_name="praise_photo")
    op.drop_index("ix_praise_photo_sha256", table_name="praise_photo")
    op.drop_index("ix_praise_photo_praise_id", table_name="praise_photo")
    op.drop_table("praise_photo")
    op.drop_index("ix_praise_created_at", table_name="praise")
    op.drop_index("ix_praise_reporter_id", table_name="praise")
    op.drop_index("ix_praise_department_id", table_name="praise")
    op.drop_table("praise")
