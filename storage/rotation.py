"""Re-encrypt every stored identity under a new IDENTITY_KEY (`snapreport keys rotate`).

The engine's key ring holds the new key and the old one: each row is read (decrypted with
whichever key made it), marked changed, and written back under the new key, with its
keyed-hash columns (and the FSM row keys) recomputed, since the lookup hash is derived
from the key too. Everything happens in one transaction, so a failure half-way leaves the
database as it was, under the old key; rows are walked in primary-key batches so memory
stays flat however large the tables are. Stop the bot first: a running bot would look
rows up with the old hashes while they change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import SQLModel, col

from storage.db import SessionFactory
from storage.fsm import fsm_row_key, storage_key_from_str
from storage.identity import IdentityKeys, keys_of
from storage.models import (
    CardMessage,
    ConsoleLogin,
    ConsoleSession,
    FsmRecord,
    InboxUpdate,
    Invite,
    Member,
    OutboxMessage,
    Reporter,
    SentMessage,
    TicketEvent,
    UserPref,
    payload_lane,
)
from storage.wechat import WeChatPush

# model -> its encrypted columns (the `*_hash` columns follow from `lookup_hashes`).
ENCRYPTED_COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    Reporter: ("channel_user_id", "channel_address", "real_name", "phone"),
    Member: ("channel_user_id", "display_name"),
    Invite: ("created_by", "used_by"),
    TicketEvent: ("actor_id",),
    OutboxMessage: ("chat_id", "payload"),
    CardMessage: ("chat_id",),
    SentMessage: ("chat_id",),
    InboxUpdate: ("payload",),
    FsmRecord: ("storage_key", "data"),
    UserPref: ("channel_user_id",),
    # A waiting push's de-duplication hash is not recomputed (it cannot be undone): a
    # WeChat retry racing the rotation, with the bot stopped, is all it could miss.
    WeChatPush: ("open_id", "xml", "replies"),
    ConsoleLogin: ("user_id",),
    ConsoleSession: ("user_id",),
}


@dataclass
class RotationReport:
    """How many rows of each table were re-encrypted."""

    rows: dict[str, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.rows.values())


async def rotate_identity_keys(
    sessions: SessionFactory, *, batch_size: int = 500
) -> RotationReport:
    """Re-encrypt and re-hash every identity under the ring's current key, in one transaction."""
    report = RotationReport()
    async with sessions() as session, session.begin():
        keys = keys_of(session)
        for model, columns in ENCRYPTED_COLUMNS.items():
            report.rows[str(model.__tablename__)] = await _rotate_table(
                session, keys, model, columns, batch_size
            )
    return report


async def _rotate_table(
    session: AsyncSession,
    keys: IdentityKeys,
    model: type[SQLModel],
    columns: tuple[str, ...],
    batch_size: int,
) -> int:
    # FSM and preference rows change their primary keys (hashes), which a walk in key
    # order cannot follow: they are read whole (live drafts and language choices: few).
    if model in (FsmRecord, UserPref):
        rows = list(await session.scalars(select(model)))
        for row in rows:
            _rewrite(keys, row, columns)
        await session.flush()
        session.expunge_all()
        return len(rows)
    pk = "update_id" if model is InboxUpdate else "id"
    done = 0
    after: Any = None
    while True:
        query = select(model).order_by(col(getattr(model, pk))).limit(batch_size)
        if after is not None:
            query = query.where(col(getattr(model, pk)) > after)
        batch = list(await session.scalars(query))
        if not batch:
            return done
        for row in batch:
            _rewrite(keys, row, columns)
        after = getattr(batch[-1], pk)
        done += len(batch)
        await session.flush()
        session.expunge_all()  # memory stays one batch deep


def _rewrite(keys: IdentityKeys, row: Any, columns: tuple[str, ...]) -> None:
    """Mark the row's encrypted columns changed and recompute its keyed hashes."""
    for column in columns:
        flag_modified(row, column)
    for source, hashed in getattr(row, "lookup_hashes", ()):
        value = getattr(row, source)
        setattr(row, hashed, None if value is None else keys.lookup_hash(value))
    if isinstance(row, FsmRecord) and row.storage_key:
        row.key = fsm_row_key(keys, storage_key_from_str(row.storage_key))
    if isinstance(row, UserPref) and row.channel_user_id is not None:
        row.user_hash = keys.lookup_hash(row.channel_user_id)
    if isinstance(row, InboxUpdate) and row.lane_hash is not None:
        row.lane_hash = keys.lookup_hash(payload_lane(row.payload))
