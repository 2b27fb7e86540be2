"""misconduct categories as a table (category), seeded with the default set

Revision ID: 0016_categories
Revises: 0015_intake_source
Create Date: 2026-12-13 10:00:00

Until now the categories were a fixed list in code; tickets, rules and deadline overrides
already store the slug, so nothing else changes. The seed is a copy of
`tickets.categories.DEFAULTS` as it stood here (a migration must not follow later code).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_categories"
down_revision: str | None = "0015_intake_source"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of `tickets.categories.DEFAULTS` as of this revision, on purpose: a migration
# must seed the same rows whatever the code's defaults become later.
SEED = [
    ("absent", "不在岗/脱岗", "Absent from post"),
    ("idle", "上班玩手机/干私事", "Phone or private business at work"),
    ("rude", "态度生硬/刁难", "Harsh attitude or obstruction"),
    ("extortion", "吃拿卡要", "Asking for favours or gifts"),
    ("car", "公车私用", "Private use of an official car"),
    ("banquet", "违规吃喝", "Improper dining"),
    ("gifts", "收送红包礼金", "Giving or taking red envelopes or gifts"),
    ("buck", "推诿扯皮/慢作为", "Passing the buck or inaction"),
    ("fees", "乱收费/乱罚款/乱摊派", "Arbitrary fees, fines or levies"),
    ("enforcement", "执法不公/以罚代纠", "Unfair enforcement, fines instead of fixes"),
    ("bidding", "围标串标", "Bid rigging"),
    ("other", "其他", "Other"),
]


def upgrade() -> None:
    table = op.create_table(
        "category",
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("zh", sa.String(length=64), nullable=False),
        sa.Column("en", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.bulk_insert(
        table,
        [
            {"slug": slug, "zh": zh, "en": en, "position": position, "retired": False}
            for position, (slug, zh, en) in enumerate(SEED, start=1)
        ],
    )


def downgrade() -> None:
    op.drop_table("category")
