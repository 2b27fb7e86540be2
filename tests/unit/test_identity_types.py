"""The encrypted column types and the keyed lookup hash: what goes in comes out, nothing
readable is stored, and a tampered value or the wrong key fails loudly."""

from __future__ import annotations

import random
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col

from storage.db import create_session_factory
from storage.identity import (
    MAX_INFLATED_JSON_BYTES,
    EncryptedCompressedJSON,
    IdentityDecryptError,
    IdentityKeyError,
    IdentityKeys,
    generate_key,
    parse_key,
)
from storage.models import FsmRecord, OutboxMessage, Reporter
from tests.factories import engine_at, identity_by_hash

USER_ID = 5_551_234_567
DRAFT_KEY = "1:owner-hash:owner-hash:::default"
NAME = "Zhangsanfeng"
PHONE = "+8613912345678"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'identity.sqlite3'}"


@pytest.fixture
async def written(url: str) -> AsyncIterator[tuple[str, IdentityKeys]]:
    """A database holding one real-name reporter and one outbox row, and its key ring."""
    keys = IdentityKeys.from_text(generate_key())
    async with (
        engine_at(url, keys=keys, tables=True) as engine,
        create_session_factory(engine)() as session,
        session.begin(),
    ):
        session.add(Reporter(channel_user_id=USER_ID, real_name=NAME, phone=PHONE))
        session.add(
            OutboxMessage(
                idempotency_key="k",
                chat_id=USER_ID,
                method="sendMessage",
                payload={"chat_id": USER_ID, "text": f"Thank you, {NAME}"},
            )
        )
    yield url, keys


async def raw_rows(engine: AsyncEngine, table: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text(f"SELECT * FROM {table}"))
        return [repr(tuple(row)) for row in rows]


async def test_values_round_trip_and_are_found_by_keyed_hash(
    written: tuple[str, IdentityKeys],
) -> None:
    url, keys = written
    async with engine_at(url, keys=keys) as engine:
        async with create_session_factory(engine)() as session:
            assert await identity_by_hash(session, USER_ID) == (USER_ID, NAME, PHONE)
            row = await session.scalar(select(OutboxMessage))
            assert row is not None and row.chat_id == USER_ID
            assert row.payload == {"chat_id": USER_ID, "text": f"Thank you, {NAME}"}
        stored = " ".join(
            await raw_rows(engine, "reporter") + await raw_rows(engine, "outbox_message")
        )
        for secret in (str(USER_ID), NAME, PHONE):
            assert secret not in stored


async def test_equal_values_are_stored_as_different_ciphertexts(url: str) -> None:
    keys = IdentityKeys.from_text(generate_key())
    first = keys.encrypt(b"13912345678", context=b"str")
    second = keys.encrypt(b"13912345678", context=b"str")
    assert first != second
    assert keys.decrypt(first, context=b"str") == keys.decrypt(second, context=b"str")


async def test_tampered_ciphertext_is_refused_with_a_clear_error(
    written: tuple[str, IdentityKeys],
) -> None:
    url, keys = written
    async with engine_at(url, keys=keys) as engine:
        async with engine.begin() as connection:
            stored = await connection.scalar(text("SELECT phone FROM reporter"))
            flipped = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
            await connection.execute(text("UPDATE reporter SET phone = :p"), {"p": flipped})
        async with create_session_factory(engine)() as session:
            with pytest.raises(IdentityDecryptError, match="failed authentication"):
                await session.scalar(select(Reporter))


async def test_a_ciphertext_moved_to_another_kind_of_column_is_refused() -> None:
    keys = IdentityKeys.from_text(generate_key())
    as_int = keys.encrypt(str(USER_ID).encode(), context=b"int")
    with pytest.raises(IdentityDecryptError, match="failed authentication"):
        keys.decrypt(as_int, context=b"str")


async def test_the_wrong_key_is_named_as_such(written: tuple[str, IdentityKeys]) -> None:
    url, _keys = written
    async with (
        engine_at(url, keys=IdentityKeys.from_text(generate_key())) as engine,
        create_session_factory(engine)() as session,
    ):
        with pytest.raises(IdentityKeyError, match="wrong key"):
            await session.scalar(select(Reporter))


async def test_an_engine_without_keys_refuses_identity_columns(url: str) -> None:
    async with (
        engine_at(url, keys=None, tables=True) as engine,
        create_session_factory(engine)() as session,
    ):
        session.add(Reporter(channel_user_id=USER_ID))
        with pytest.raises(IdentityKeyError, match="IDENTITY_KEY"):
            await session.flush()


def test_comparing_an_encrypted_column_with_a_value_is_an_error() -> None:
    # It would compare with a fresh random ciphertext and silently match nothing.
    with pytest.raises(TypeError, match="keyed-hash column"):
        _ = col(Reporter.channel_user_id) == USER_ID
    assert col(Reporter.phone).is_(None) is not None  # IS NULL stays allowed


def test_lookup_hash_is_stable_per_key_and_differs_between_keys() -> None:
    key = generate_key()
    one, same, other = (
        IdentityKeys.from_text(key),
        IdentityKeys.from_text(key),
        IdentityKeys.from_text(generate_key()),
    )
    assert one.lookup_hash(USER_ID) == same.lookup_hash(USER_ID)
    assert one.lookup_hash(USER_ID) != other.lookup_hash(USER_ID)
    assert one.lookup_hash(USER_ID) != one.lookup_hash(str(USER_ID))  # typed, not just text
    assert str(USER_ID) not in one.lookup_hash(USER_ID)


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64 !", "not base64"), ("c2hvcnQ=", "must be 32 bytes")],
)
def test_malformed_keys_are_refused(value: str, message: str) -> None:
    with pytest.raises(IdentityKeyError, match=message):
        parse_key(value)


def test_generated_keys_parse_in_standard_and_url_safe_base64() -> None:
    key = generate_key()
    urlsafe = key.replace("+", "-").replace("/", "_").rstrip("=")
    assert parse_key(key) == parse_key(urlsafe)


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (Reporter, "user_hash"),
        (OutboxMessage, "chat_hash"),
    ],
)
async def test_lookups_by_id_are_index_probes_not_scans(
    url: str, model: type[SQLModel], column: str
) -> None:
    # A scan would have to decrypt every row to find one: the hash column is indexed.
    async with engine_at(url, keys=IdentityKeys.from_text(generate_key()), tables=True) as engine:
        statement = select(model).where(col(getattr(model, column)) == "0" * 32)
        compiled = statement.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
        async with engine.connect() as connection:
            plan = " ".join(
                str(row[-1])
                for row in await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan


# -- FSM data: compressed, then sealed as raw bytes ---------------------------------------


def realistic_draft() -> dict[str, Any]:
    """A draft at the preview, as the memory benchmark builds it (three photos and all)."""
    from bench.memory_bench import draft_data, units

    return draft_data(random.Random(7), units(30))


async def store_draft(url: str, keys: IdentityKeys, data: dict[str, Any]) -> None:
    async with (
        engine_at(url, keys=keys, tables=True) as engine,
        create_session_factory(engine)() as session,
        session.begin(),
    ):
        session.add(FsmRecord(key=DRAFT_KEY, state="ReportDraft:confirming", data=data))


async def stored_draft_bytes(engine: AsyncEngine) -> bytes:
    async with engine.connect() as connection:
        raw = await connection.scalar(text("SELECT data FROM fsm_record"))
    assert isinstance(raw, bytes)
    return raw


async def replace_stored_draft(engine: AsyncEngine, raw: bytes) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE fsm_record SET data = :raw"), {"raw": raw})


async def test_a_draft_round_trips_and_is_stored_unreadable_under_2_kb(url: str) -> None:
    keys, draft = IdentityKeys.from_text(generate_key()), realistic_draft()
    await store_draft(url, keys, draft)

    async with engine_at(url, keys=keys) as engine:
        async with create_session_factory(engine)() as session:
            record = await session.get(FsmRecord, DRAFT_KEY)
            assert record is not None and record.data == draft
        raw = await stored_draft_bytes(engine)
    assert len(raw) < 2048, len(raw)  # the memory budget of a stored draft
    assert draft["description"].encode() not in raw and b"AgACAgIA" not in raw


def test_comparing_the_draft_column_with_a_value_is_an_error() -> None:
    with pytest.raises(TypeError, match="keyed-hash column"):
        _ = col(FsmRecord.data) == {"photos": []}


async def test_a_tampered_draft_is_refused_with_a_clear_error(url: str) -> None:
    keys = IdentityKeys.from_text(generate_key())
    await store_draft(url, keys, {"phone": PHONE})
    async with engine_at(url, keys=keys) as engine:
        raw = bytearray(await stored_draft_bytes(engine))
        raw[-20] ^= 0x01
        await replace_stored_draft(engine, bytes(raw))
        async with create_session_factory(engine)() as session:
            with pytest.raises(IdentityDecryptError, match="failed authentication"):
                await session.get(FsmRecord, DRAFT_KEY)


async def test_a_draft_sealed_as_another_kind_of_value_is_refused(url: str) -> None:
    keys = IdentityKeys.from_text(generate_key())
    await store_draft(url, keys, {"phone": PHONE})
    async with engine_at(url, keys=keys) as engine:
        # Right key, wrong context: an EncryptedJSON plaintext sealed into this column.
        moved = keys.encrypt_bytes(b'{"phone":"x"}', context=b"json")
        await replace_stored_draft(engine, moved)
        async with create_session_factory(engine)() as session:
            with pytest.raises(IdentityDecryptError, match="failed authentication"):
                await session.get(FsmRecord, DRAFT_KEY)


async def test_a_draft_inflating_beyond_the_cap_is_refused(url: str) -> None:
    keys = IdentityKeys.from_text(generate_key())
    await store_draft(url, keys, {})
    bomb = zlib.compress(b'"' + b" " * MAX_INFLATED_JSON_BYTES + b'"', 9)  # ~1 KB of deflate
    async with engine_at(url, keys=keys) as engine:
        sealed = keys.encrypt_bytes(bomb, context=EncryptedCompressedJSON.context)
        await replace_stored_draft(engine, sealed)
        async with create_session_factory(engine)() as session:
            with pytest.raises(IdentityDecryptError, match="inflates beyond"):
                await session.get(FsmRecord, DRAFT_KEY)


def test_a_document_too_large_to_read_back_is_refused_when_written() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        EncryptedCompressedJSON().encode({"description": "x" * MAX_INFLATED_JSON_BYTES})
