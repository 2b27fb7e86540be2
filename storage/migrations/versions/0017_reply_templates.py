"""reply templates (reply_template), seeded with a small Chinese set

Revision ID: 0017_reply_templates
Revises: 0016_categories
Create Date: 2026-12-14 10:00:00

Templates are single-language texts, like what a supervisor types, so the seed is in
Chinese, the deployment's language; administrators add English ones if they need them.
The seed is written out here on purpose (a migration must not follow later code). No
title uses a word of the card's buttons (受理, 退回, 办结, …).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_reply_templates"
down_revision: str | None = "0016_categories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (title, purpose, finding or None, body); every one for any category.
SEED = [
    (
        "问题已核实处理",
        "resolve",
        "substantiated",
        "您好！您于{date}反映的“{category}”问题（编号 {code}），经{department}调查核实，"
        "核查结果：{finding}。已依规依纪作出处理并督促整改。感谢您对作风建设的监督与支持！",
    ),
    (
        "经核查情况不符",
        "resolve",
        "unsubstantiated",
        "您好！您于{date}反映的“{category}”问题（编号 {code}），经{department}认真核查，"
        "未发现所反映的情况。如有新的线索，欢迎继续反映。感谢您的监督！",
    ),
    (
        "线索不足暂难核实",
        "resolve",
        "unverifiable",
        "您好！您于{date}反映的“{category}”问题（编号 {code}），经{department}核查，"
        "因现有线索不足，暂无法核实。如能补充时间、地点或照片等线索，欢迎再次反映。",
    ),
    (
        "通用答复",
        "resolve",
        None,
        "您好！您反映的问题（编号 {code}）已由{department}办理完毕，核查结果：{finding}。"
        "感谢您的监督与支持！",
    ),
    (
        "非作风问题",
        "reject",
        None,
        "您好！您反映的事项（编号 {code}）不属于干部作风问题的反映范围，"
        "建议通过12345政务服务便民热线等渠道反映。感谢理解！",
    ),
    (
        "信息不全",
        "reject",
        None,
        "您好！您反映的事项（编号 {code}）缺少具体时间、地点或人员等必要信息，"
        "无法开展核查。欢迎补充后重新反映。",
    ),
    (
        "请补充时间地点",
        "ask",
        None,
        "您好！关于您反映的“{category}”问题（编号 {code}），请补充事情发生的具体时间"
        "和地点（如窗口号、科室），以便我们核查。",
    ),
    (
        "请补充照片材料",
        "ask",
        None,
        "您好！关于您反映的问题（编号 {code}），如有现场照片或其他材料，请补充发送，"
        "以便我们核查。",
    ),
]


def upgrade() -> None:
    table = op.create_table(
        "reply_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("finding", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(
        table,
        [
            {
                "title": title,
                "body": body,
                "purpose": purpose,
                "category": None,
                "finding": finding,
                "active": True,
            }
            for title, purpose, finding, body in SEED
        ],
    )


def downgrade() -> None:
    op.drop_table("reply_template")
