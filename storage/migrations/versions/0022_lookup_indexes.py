"""ix_ticket_open_queue: `/queue` counts and pages open tickets from one index

Revision ID: 0022_lookup_indexes
Revises: 0021_calendar_days
Create Date: 2026-12-28 10:00:00

`/queue` filters tickets by state and department and orders them by the current deadline
(accept_by while new, else resolve_by), then id. With these columns in one index the count
and the choice of a page read the index alone, and only the page's rows are read whole.
`/status` needs nothing new: it finds the ticket by the unique index on `code`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_lookup_indexes"
down_revision: str | None = "0021_calendar_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_ticket_open_queue",
        "ticket",
        ["state", "department_id", "accept_by", "resolve_by", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_open_queue", table_name="ticket")
