"""wechat_push inbox and wechat_token

Revision ID: 0003_wechat
Revises: 0002
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_wechat"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=160), nullable=False),
        sa.Column("open_id", sa.String(length=64), nullable=False),
        sa.Column("msg_type", sa.String(length=16), nullable=False),
        sa.Column("xml", sa.String(), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retry_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index("ix_wechat_push_open_id", "wechat_push", ["open_id"])
    op.create_index("ix_wechat_push_handled_at", "wechat_push", ["handled_at"])
    op.create_table(
        "wechat_token",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("access_token", sa.String(length=1024), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("app_id"),
    )


def downgrade() -> None:
    op.drop_table("wechat_token")
    op.drop_index("ix_wechat_push_handled_at", table_name="wechat_push")
    op.drop_index("ix_wechat_push_open_id", table_name="wechat_push")
    op.drop_table("wechat_push")
