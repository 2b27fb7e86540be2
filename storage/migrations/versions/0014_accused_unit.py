"""the unit a report is about (ticket.accused_department_id) and supervising offices
(department.parent_id)

Revision ID: 0014_accused_unit
Revises: 0013_console
Create Date: 2026-12-10 10:00:00

A report about a unit goes to that unit's supervising office, never only to the unit
itself. Both columns start empty: existing tickets were filed without naming a unit, and
every department is overseen by the supervision office until a parent is set.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_accused_unit"
down_revision: str | None = "0013_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN without a foreign key, no table rebuild (see 0006): rebuilding
    # `ticket` or `department` on SQLite would trip the foreign keys that point at them.
    op.add_column("department", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.add_column("ticket", sa.Column("accused_department_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket", "accused_department_id")
    op.drop_column("department", "parent_id")
