"""fsm_record.data: drafts compressed before they are encrypted, in a binary column

Revision ID: 0024_compressed_drafts
Revises: 0023_resolved_index
Create Date: 2026-12-06 22:00:00

A report draft at the preview is ~2,170 B of JSON; encrypted and in base64 text it was
3,116 B a row, and it grew a SQLite file by 4,254 B (`bench.memory_bench`), over the 2 KB
budget of a stored draft. zlib-compressed first and stored as raw bytes
(`storage.identity.EncryptedCompressedJSON`), its data is ~1,290 B and the row 1,487 B
(2,195 B of file a draft: still over, see bench/MISSED.md). The column becomes BLOB on
SQLite (the table is rebuilt: no key points at it) and BYTEA on PostgreSQL, and every row
is converted in the migration's one transaction; the downgrade converts them back. Rows
are live drafts and read whole, as key rotation reads them. Converting needs IDENTITY_KEY
(from the caller or the environment); a database without rows needs none.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.identity import (
    EncryptedCompressedJSON,
    EncryptedJSON,
    IdentityKeyError,
    IdentityKeys,
    keys_of,
)

revision: str = "0024_compressed_drafts"
down_revision: str | None = "0023_resolved_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AS_TEXT, COMPRESSED = EncryptedJSON(), EncryptedCompressedJSON()


def _converted(convert: Callable[[IdentityKeys, Any], Any]) -> dict[str, Any]:
    """Every row's data through `convert`, by row key; the key ring is only needed for rows."""
    query = sa.select(sa.column("key"), sa.column("data")).select_from(sa.table("fsm_record"))
    rows = list(op.get_bind().execute(query))
    if not rows:
        return {}
    try:
        keys = keys_of(op.get_bind())
    except IdentityKeyError:
        raise IdentityKeyError(
            "this migration converts stored drafts and needs IDENTITY_KEY "
            "(in the environment, or passed by `snapreport db upgrade`)"
        ) from None
    return {key: convert(keys, data) for key, data in rows}


def _compressed(keys: IdentityKeys, stored: Any) -> bytes:
    document = AS_TEXT.decode(keys.decrypt(str(stored), context=AS_TEXT.context))
    return keys.encrypt_bytes(COMPRESSED.encode(document), context=COMPRESSED.context)


def _as_text(keys: IdentityKeys, stored: Any) -> str:
    document = COMPRESSED.decode(keys.decrypt_bytes(bytes(stored), context=COMPRESSED.context))
    return keys.encrypt(AS_TEXT.encode(document), context=AS_TEXT.context)


def _retype(type_: sa.types.TypeEngine[Any], using: str) -> None:
    """Change the column's type; `using` only makes PostgreSQL's cast valid, since every
    row is written again right after."""
    with op.batch_alter_table("fsm_record") as batch:
        batch.alter_column("data", type_=type_, existing_nullable=False, postgresql_using=using)


def _write(rows: dict[str, Any], type_: sa.types.TypeEngine[Any]) -> None:
    table = sa.table("fsm_record", sa.column("key"), sa.column("data", type_))
    for key, data in rows.items():
        op.get_bind().execute(sa.update(table).where(table.c.key == key).values(data=data))


def upgrade() -> None:
    rows = _converted(_compressed)
    _retype(sa.LargeBinary(), using="convert_to(data, 'UTF8')")
    _write(rows, sa.LargeBinary())


def downgrade() -> None:
    rows = _converted(_as_text)
    # Back to what 0003_identity left: TEXT on PostgreSQL, the declared JSON on SQLite.
    postgres = op.get_bind().dialect.name == "postgresql"
    _retype(sa.Text() if postgres else sa.JSON(), using="encode(data, 'escape')")
    _write(rows, sa.Text())
