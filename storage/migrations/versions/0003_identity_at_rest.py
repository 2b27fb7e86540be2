"""identity at rest: encrypt who people are, look them up by keyed hash

Revision ID: 0003_identity
Revises: 0003_wechat
Create Date: 2026-12-04 18:30:00

Every existing row is converted in place, in the migration's one transaction: channel ids,
names, phones, outbox chats and requests, cards' chats, FSM keys and data, raw updates and
event actors are encrypted with IDENTITY_KEY, and the `*_hash` lookup columns filled. The
downgrade decrypts them again (it needs the same key). The key comes from the caller
(`storage.migrate.upgrade(..., keys=...)`) or IDENTITY_KEY in the environment; an empty
database needs none. On SQLite the declared column types stay (a column's type is only an
affinity there, and rebuilding `reporter` would trip the foreign keys that point at it);
PostgreSQL's columns become TEXT.

Written beside `0003_wechat`, which also revised 0002; it now follows it. WeChat's
`wechat_push.open_id` and raw XML are not yet covered and need the same care.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.identity import HASH_CHARS, IdentityKeyError, IdentityKeys, keys_of

revision: str = "0003_identity"
down_revision: str | None = "0003_wechat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (primary key, {column: kind}); kinds match storage.identity's column types.
ENCRYPTED: dict[str, tuple[str, dict[str, str]]] = {
    "reporter": ("id", {"channel_user_id": "int", "real_name": "str", "phone": "str"}),
    "member": ("id", {"channel_user_id": "int", "display_name": "str"}),
    "invite": ("id", {"created_by": "int", "used_by": "int"}),
    "ticket_event": ("id", {"actor_id": "int"}),
    "outbox_message": ("id", {"chat_id": "int", "payload": "json"}),
    "card_message": ("id", {"chat_id": "int"}),
    "inbox_update": ("update_id", {"payload": "json"}),
}
# table -> (hash column, the id it hashes)
HASHES = {
    "reporter": ("user_hash", "channel_user_id"),
    "member": ("user_hash", "channel_user_id"),
    "outbox_message": ("chat_hash", "chat_id"),
    "card_message": ("chat_hash", "chat_id"),
}
OLD_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "int": sa.BigInteger(),
    "json": sa.JSON(),
}
OLD_STR_LENGTH = {"real_name": 128, "phone": 32, "display_name": 128}


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _keys(needed: bool) -> IdentityKeys | None:
    if not needed:
        return None
    try:
        return keys_of(op.get_bind())
    except IdentityKeyError:
        raise IdentityKeyError(
            "this migration converts stored identities and needs IDENTITY_KEY "
            "(in the environment, or passed by `snapreport db upgrade`)"
        ) from None


def _encode(kind: str, value: Any) -> bytes:
    if kind == "json":
        document = json.loads(value) if isinstance(value, str | bytes) else value
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if kind == "int":
        return str(int(value)).encode()
    return str(value).encode()


def _decode(kind: str, data: bytes) -> str:
    # Text for every kind: PostgreSQL's columns are still TEXT when the rows are written
    # (and cast back after), SQLite's integer affinity turns "123" back into 123.
    return data.decode()


def _rows(table: str, columns: Sequence[str]) -> list[sa.Row[Any]]:
    query = sa.select(*(sa.column(c) for c in columns)).select_from(sa.table(table))
    return list(op.get_bind().execute(query))


def _any_rows() -> bool:
    bind = op.get_bind()
    return any(
        bind.execute(sa.select(sa.literal(1)).select_from(sa.table(t)).limit(1)).first()
        for t in [*ENCRYPTED, "fsm_record", "user_pref", "ticket"]
    )


class _Ring:
    """The key ring of this run; only asked for when there are rows to convert."""

    def __init__(self, keys: IdentityKeys | None) -> None:
        self._keys = keys

    @property
    def keys(self) -> IdentityKeys:
        assert self._keys is not None  # _keys() raised when rows exist and no key does
        return self._keys

    def hash(self, value: Any) -> str:
        return self.keys.lookup_hash(int(value))

    def encrypt(self, kind: str, value: Any) -> str | None:
        if value is None:
            return None
        return self.keys.encrypt(_encode(kind, value), context=kind.encode())

    def decrypt(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        return _decode(kind, self.keys.decrypt(str(value), context=kind.encode()))

    def fsm_key(self, text: str) -> str:
        bot_id, chat_id, user_id, rest = text.split(":", 3)
        return ":".join([bot_id, self.hash(chat_id), self.hash(user_id), rest])


def _rewrite(table: str, convert: Callable[[str, Any], Any], ring: _Ring | None) -> None:
    """Rewrite every row's identity columns with `convert(kind, value)`; hash with `ring`."""
    pk, columns = ENCRYPTED[table]
    names = list(columns)
    for row in _rows(table, [pk, *names]):
        values = {name: convert(columns[name], row[i + 1]) for i, name in enumerate(names)}
        if ring is not None and table in HASHES:
            hash_column, source = HASHES[table]
            values[hash_column] = ring.hash(row[1 + names.index(source)])
        op.get_bind().execute(
            sa.update(sa.table(table, sa.column(pk), *(sa.column(n) for n in values)))
            .where(sa.column(pk) == row[0])
            .values(**values)
        )


def upgrade() -> None:
    ring = _Ring(_keys(needed=_any_rows()))
    pg = _is_pg()
    if pg:
        op.drop_constraint("reporter_channel_channel_user_id_key", "reporter", type_="unique")
        op.drop_constraint("card_message_ticket_id_chat_id_key", "card_message", type_="unique")
    # SQLite keeps its unnamed unique constraints of (channel, channel_user_id) and
    # (ticket_id, chat_id): over random ciphertexts they never refuse a row.
    op.drop_index("ix_outbox_message_chat_id", table_name="outbox_message")
    op.drop_index("ix_member_channel_user_id", table_name="member")
    if pg:
        for table, (_pk, columns) in ENCRYPTED.items():
            for column in columns:
                op.alter_column(
                    table, column, type_=sa.Text(), postgresql_using=f"{column}::text"
                )
        op.alter_column("fsm_record", "data", type_=sa.Text(), postgresql_using="data::text")
    for table, (hash_column, _source) in HASHES.items():
        op.add_column(table, sa.Column(hash_column, sa.String(HASH_CHARS), nullable=True))
    op.add_column("fsm_record", sa.Column("storage_key", sa.Text(), nullable=True))

    for table in ENCRYPTED:
        _rewrite(table, ring.encrypt, ring)
    for key, data in _rows("fsm_record", ["key", "data"]):
        op.get_bind().execute(
            sa.update(sa.table("fsm_record", sa.column("key"), sa.column("storage_key"),
                               sa.column("data")))
            .where(sa.column("key") == key)
            .values(key=ring.fsm_key(key), storage_key=ring.encrypt("str", key),
                    data=ring.encrypt("json", data))
        )
    # A submit key begins with the reporter's id; only its keyed hash is ever compared.
    for ticket_id, submit_key in _rows("ticket", ["id", "submit_key"]):
        op.get_bind().execute(
            sa.update(sa.table("ticket", sa.column("id"), sa.column("submit_key")))
            .where(sa.column("id") == ticket_id)
            .values(submit_key=ring.keys.lookup_hash(str(submit_key)))
        )
    prefs = _rows("user_pref", ["channel_user_id", "language"])
    op.drop_table("user_pref")
    user_pref = op.create_table(
        "user_pref",
        sa.Column("user_hash", sa.String(HASH_CHARS), nullable=False),
        sa.Column("channel_user_id", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("user_hash"),
    )
    if prefs:
        op.bulk_insert(
            user_pref,
            [
                {
                    "user_hash": ring.hash(user_id),
                    "channel_user_id": ring.encrypt("int", user_id),
                    "language": language,
                }
                for user_id, language in prefs
            ],
        )
    if pg:
        for table, (hash_column, _source) in HASHES.items():
            op.alter_column(table, hash_column, nullable=False)
    op.create_index("uq_reporter_user_hash", "reporter", ["user_hash", "channel"], unique=True)
    op.create_index("uq_card_message_chat", "card_message", ["ticket_id", "chat_hash"],
                    unique=True)
    op.create_index("ix_outbox_message_chat_hash", "outbox_message", ["chat_hash"])
    op.create_index("ix_member_user_hash", "member", ["user_hash"])


def downgrade() -> None:
    ring = _Ring(_keys(needed=_any_rows()))
    pg = _is_pg()
    op.drop_index("ix_member_user_hash", table_name="member")
    op.drop_index("ix_outbox_message_chat_hash", table_name="outbox_message")
    op.drop_index("uq_card_message_chat", table_name="card_message")
    op.drop_index("uq_reporter_user_hash", table_name="reporter")

    for table in ENCRYPTED:
        _rewrite(table, ring.decrypt, None)
    for key, storage_key, data in _rows("fsm_record", ["key", "storage_key", "data"]):
        op.get_bind().execute(
            sa.update(sa.table("fsm_record", sa.column("key"), sa.column("data")))
            .where(sa.column("key") == key)
            .values(key=ring.decrypt("str", storage_key), data=ring.decrypt("json", data))
        )
    # Tickets keep their hashed submit keys: a hash cannot be undone, and the key only
    # guards against a Confirm pressed twice, long past for any stored ticket.
    prefs = _rows("user_pref", ["channel_user_id", "language"])
    op.drop_table("user_pref")
    user_pref = op.create_table(
        "user_pref",
        sa.Column("channel_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("channel_user_id"),
    )
    op.bulk_insert(
        user_pref,
        [
            {"channel_user_id": int(ring.decrypt("int", user_id)), "language": language}
            for user_id, language in prefs
            if user_id is not None
        ],
    )
    op.drop_column("fsm_record", "storage_key")
    for table, (hash_column, _source) in HASHES.items():
        op.drop_column(table, hash_column)
    if pg:
        for table, (_pk, columns) in ENCRYPTED.items():
            for column, kind in columns.items():
                old = OLD_TYPES.get(kind) or sa.String(OLD_STR_LENGTH[column])
                cast = {"int": "bigint", "json": "json"}.get(kind, "varchar")
                op.alter_column(table, column, type_=old, postgresql_using=f"{column}::{cast}")
        op.alter_column("fsm_record", "data", type_=sa.JSON(), postgresql_using="data::json")
        op.create_unique_constraint(
            "reporter_channel_channel_user_id_key", "reporter", ["channel", "channel_user_id"]
        )
        op.create_unique_constraint(
            "card_message_ticket_id_chat_id_key", "card_message", ["ticket_id", "chat_id"]
        )
    op.create_index("ix_member_channel_user_id", "member", ["channel_user_id"])
    op.create_index("ix_outbox_message_chat_id", "outbox_message", ["chat_id"])
