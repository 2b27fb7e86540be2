"""retention: ticket.purged_at, the purge audit, the bot's direct answers in private chats

Revision ID: 0007_retention
Revises: 0006_channel
Create Date: 2026-12-06 09:00:00

`ticket.purged_at` marks a closed ticket whose evidence, identity and relayed words were
deleted after the retention period; `retention_purge` records what every purge deleted;
`sent_message` remembers the answers handlers sent into private chats for 48 hours, so
`/forget` can delete them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_retention"
down_revision: str | None = "0006_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: rebuilding `ticket` on SQLite would trip the keys pointing at it.
    op.add_column(
        "ticket", sa.Column("purged_at", storage.types.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "retention_purge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_purge_at", "retention_purge", ["at"])
    op.create_table(
        "sent_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("chat_hash", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sent_message_chat_hash", "sent_message", ["chat_hash"])
    op.create_index("ix_sent_message_sent_at", "sent_message", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_sent_message_sent_at", table_name="sent_message")
    op.drop_index("ix_sent_message_chat_hash", table_name="sent_message")
    op.drop_table("sent_message")
    op.drop_index("ix_retention_purge_at", table_name="retention_purge")
    op.drop_table("retention_purge")
    op.drop_column("ticket", "purged_at")
