"""outbox rows carry their channel (outbox_message.channel)

Revision ID: 0011_outbox_channel
Revises: 0010_inbox_lane
Create Date: 2026-12-08 10:00:00

Each channel's dispatcher sends only its own rows: a notice to a WeChat reporter is a
customer-service message, not a Telegram call to a number derived from their OpenID.
Every existing row is Telegram's, which the default says.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_outbox_channel"
down_revision: str | None = "0010_inbox_lane"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild (see 0006).
    op.add_column(
        "outbox_message",
        sa.Column("channel", sa.String(length=16), nullable=False, server_default="telegram"),
    )


def downgrade() -> None:
    op.drop_column("outbox_message", "channel")
