"""channel-neutral reporters (reporter.channel_address, ticket.channel); push replies

Revision ID: 0006_channel
Revises: 0005_identity_view
Create Date: 2026-12-05 10:00:00

A reporter on a channel that addresses people by a string (WeChat's OpenID) keeps that
address encrypted in `channel_address`; `channel_user_id` stays a number (derived from the
address) so lookups by keyed hash work the same for every channel. Every existing ticket
and reporter is Telegram's, which the defaults say. A WeChat push keeps the answers decided
with its effect (encrypted) and how many were sent, so a retried push resends, not redoes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_channel"
down_revision: str | None = "0005_identity_view"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild: rebuilding `reporter` or `ticket` on SQLite would
    # trip the foreign keys that point at them.
    op.add_column("reporter", sa.Column("channel_address", sa.Text(), nullable=True))
    op.add_column(
        "ticket",
        sa.Column(
            "channel", sa.String(length=16), nullable=False, server_default="telegram"
        ),
    )
    op.add_column("wechat_push", sa.Column("replies", sa.Text(), nullable=True))
    op.add_column(
        "wechat_push",
        sa.Column("replies_sent", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("wechat_push", "replies_sent")
    op.drop_column("wechat_push", "replies")
    op.drop_column("ticket", "channel")
    op.drop_column("reporter", "channel_address")
