"""WeChat pushes name nobody at rest: hashed keys, encrypted OpenID and XML

Revision ID: 0012_wechat_push_private
Revises: 0011_outbox_channel
Create Date: 2026-12-05 14:30:00

A push's de-duplication key (`msg:<MsgId>`, or `event:<OpenID>:<time>:<event>`) becomes its
keyed hash, and its OpenID and raw XML are encrypted with IDENTITY_KEY; both are wiped when
the push is handled. The table is rebuilt (SQLite cannot relax NOT NULL in place) with its
waiting pushes converted; handled ones are dropped: they only guarded against WeChat's
retries, which end seconds after a push, long before an upgrade with the bot stopped. The
downgrade decrypts waiting pushes again; their keys stay hashed (a hash cannot be undone),
which only means a retry arriving during the downgrade would be handled twice.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types
from storage.identity import IdentityKeyError, IdentityKeys, keys_of

revision: str = "0012_wechat_push_private"
down_revision: str | None = "0011_outbox_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = ["id", "dedup_key", "open_id", "msg_type", "xml", "received_at", "retry_at",
        "attempts", "last_error", "replies", "replies_sent"]


def _waiting() -> list[dict[str, Any]]:
    # Typed stamps: SQLite hands untyped ones back as text, which the insert refuses.
    stamp = storage.types.UTCDateTime(timezone=True)
    columns = [sa.column(c, stamp) if c.endswith("_at") else sa.column(c) for c in KEPT]
    query = sa.select(*columns).select_from(sa.table("wechat_push"))
    query = query.where(sa.column("handled_at").is_(None))
    return [dict(row._mapping) for row in op.get_bind().execute(query)]


def _keys() -> IdentityKeys:
    try:
        return keys_of(op.get_bind())
    except IdentityKeyError:
        raise IdentityKeyError(
            "this migration encrypts waiting WeChat pushes and needs IDENTITY_KEY "
            "(in the environment, or passed by `snapreport db upgrade`)"
        ) from None


def _create(*, private: bool) -> sa.Table:
    """The table as this revision (private) or the one before it defines it."""
    text_or = sa.Text() if private else sa.String()
    return op.create_table(
        "wechat_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=160), nullable=False),
        sa.Column("open_id", sa.Text() if private else sa.String(length=64),
                  nullable=private),
        sa.Column("msg_type", sa.String(length=16), nullable=False),
        sa.Column("xml", text_or, nullable=private),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retry_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("replies", sa.Text(), nullable=True),
        sa.Column("replies_sent", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )


def _rebuild(*, private: bool, rows: list[dict[str, Any]]) -> None:
    op.drop_table("wechat_push")
    table = _create(private=private)
    if not private:
        op.create_index("ix_wechat_push_open_id", "wechat_push", ["open_id"])
    op.create_index("ix_wechat_push_handled_at", "wechat_push", ["handled_at"])
    if rows:
        op.bulk_insert(table, rows)


def upgrade() -> None:
    rows = _waiting()
    if rows:
        keys = _keys()
        for row in rows:
            row["dedup_key"] = keys.lookup_hash(str(row["dedup_key"]))
            for column in ("open_id", "xml"):
                row[column] = keys.encrypt(str(row[column]).encode(), context=b"str")
    _rebuild(private=True, rows=rows)


def downgrade() -> None:
    rows = _waiting()
    if rows:
        keys = _keys()
        for row in rows:
            for column in ("open_id", "xml"):
                value = row[column]
                row[column] = "" if value is None else keys.decrypt(value, context=b"str").decode()
    _rebuild(private=False, rows=rows)
