"""where a ticket was received (ticket.intake_source) and whom to answer for a report staff
registered (ticket.reply_contact)

Revision ID: 0015_intake_source
Revises: 0014_accused_unit
Create Date: 2026-12-12 10:00:00

Every ticket so far came through a citizen's chat: its source is its channel. The reply
contact is identity, stored encrypted like reporters' names (hence Text), and empty for
citizens' own reports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_intake_source"
down_revision: str | None = "0014_accused_unit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild (see 0014): foreign keys point at `ticket`.
    op.add_column(
        "ticket",
        sa.Column(
            "intake_source", sa.String(length=24), nullable=False, server_default="telegram"
        ),
    )
    op.execute("UPDATE ticket SET intake_source = channel")
    op.add_column("ticket", sa.Column("reply_contact", sa.Text(), nullable=True))
    op.create_index("ix_ticket_intake_source", "ticket", ["intake_source"])


def downgrade() -> None:
    op.drop_index("ix_ticket_intake_source", table_name="ticket")
    op.drop_column("ticket", "reply_contact")
    op.drop_column("ticket", "intake_source")
