"""ix_ticket_resolved_at: the findings of a period read from an index, not a table scan

Revision ID: 0023_resolved_index
Revises: 0022_lookup_indexes
Create Date: 2026-12-06 19:20:00

`/stats`, the ranking and the monthly post count the findings of the resolutions standing
in a period, whenever their tickets were received (`storage.stats.Scope.resolved_where`):
a range on `resolved_at`. Without an index that was a scan of every ticket: 1.28 s of a
quarter's 2.35 s at 1,000,000 tickets on SQLite (`bench.stats_bench`).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_resolved_index"
down_revision: str | None = "0022_lookup_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_resolved_at", "ticket", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_resolved_at", table_name="ticket")
