"""`snapreport keys rotate` and migration 0003: stored identities move to a new key (and
out of, and back into, the clear) and stay readable and findable, with the new key only."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select, text
from sqlmodel import col
from typer.testing import CliRunner

from bot.cli import app as cli
from storage.custody import reseal_originals
from storage.db import create_engine, create_session_factory
from storage.fsm import DatabaseStorage
from storage.identity import IdentityKeyError, IdentityKeys, generate_key, lookup_hash
from storage.media import LocalMediaStore
from storage.migrate import downgrade, upgrade
from storage.models import CardMessage, Evidence, OutboxMessage, Reporter, Ticket
from storage.people import PeopleRepo
from storage.rotation import rotate_identity_keys
from tests.factories import add_department, engine_at, identity_by_hash, reporter_by_hash

USER_ID = 6_660_001_234
NAME = "Ouyangxiaoming"
PHONE = "+8613700001111"
DRAFT = StorageKey(bot_id=1, chat_id=USER_ID, user_id=USER_ID)


async def fill(url: str, keys: IdentityKeys) -> None:
    """A reporter with a ticket, an outbox row and card, a draft and a language."""
    async with engine_at(url, keys=keys) as engine:
        sessions = create_session_factory(engine)
        department_id = await add_department(sessions, "Intake")
        async with sessions() as session, session.begin():
            reporter = Reporter(channel_user_id=USER_ID, real_name=NAME, phone=PHONE)
            session.add(reporter)
            await session.flush()
            ticket = Ticket(
                code="SR-TEST-0001-A",
                submit_key="k1",
                category="idle",
                description="d",
                department_id=department_id,
                state="new",
                anonymous=False,
                reporter_id=reporter.id or 0,
            )
            session.add(ticket)
            await session.flush()
            session.add(CardMessage(ticket_id=ticket.id or 0, chat_id=USER_ID, message_id=7))
            session.add(
                OutboxMessage(
                    idempotency_key="k",
                    chat_id=USER_ID,
                    method="sendMessage",
                    payload={"chat_id": USER_ID, "text": NAME},
                )
            )
            await PeopleRepo(session).set_language(user_id=USER_ID, language="en")
        storage = DatabaseStorage(sessions)
        await storage.set_state(DRAFT, "ReportDraft:describing")
        await storage.set_data(DRAFT, {"phone": PHONE, "panel_pending": True})


async def read_back(url: str, keys: IdentityKeys) -> None:
    """Everything `fill` wrote, read and looked up by id with `keys`."""
    async with engine_at(url, keys=keys) as engine:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            assert await identity_by_hash(session, USER_ID) == (USER_ID, NAME, PHONE)
            row = await session.scalar(
                select(OutboxMessage).where(
                    col(OutboxMessage.chat_hash) == lookup_hash(session, USER_ID)
                )
            )
            assert row is not None and row.payload == {"chat_id": USER_ID, "text": NAME}
            card = await session.scalar(
                select(CardMessage).where(
                    col(CardMessage.chat_hash) == lookup_hash(session, USER_ID)
                )
            )
            assert card is not None and card.chat_id == USER_ID
            assert await PeopleRepo(session).get_language(user_id=USER_ID) == "en"
        storage = DatabaseStorage(sessions)
        assert await storage.get_state(DRAFT) == "ReportDraft:describing"
        assert await storage.get_data(DRAFT) == {"phone": PHONE, "panel_pending": True}
        resumable = await storage.keys_with(state="ReportDraft:describing", field="panel_pending")
        assert [key for key, _data in resumable] == [DRAFT]


async def unreadable(url: str, keys: IdentityKeys) -> None:
    async with (
        engine_at(url, keys=keys) as engine,
        create_session_factory(engine)() as session,
    ):
        with pytest.raises(IdentityKeyError, match="wrong key"):
            await session.scalar(select(Reporter))


@pytest.fixture
async def url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    return url


async def test_rotation_leaves_the_data_readable_with_the_new_key_only(url: str) -> None:
    old = IdentityKeys.from_text(old_text := generate_key())
    await fill(url, old)
    new_text = generate_key()

    report = await rotate_identity_keys(
        create_session_factory(
            engine := create_engine(url, keys=IdentityKeys.from_text(new_text, old=[old_text]))
        ),
        batch_size=1,  # every table walks through several batches
    )
    await engine.dispose()

    assert report.rows["reporter"] == 1 and report.rows["fsm_record"] == 1
    await read_back(url, IdentityKeys.from_text(new_text))
    await unreadable(url, old)


async def test_a_failed_rotation_changes_nothing(url: str) -> None:
    old = IdentityKeys.from_text(generate_key())
    await fill(url, old)
    engine = create_engine(url, keys=old)
    async with engine.begin() as connection:  # a row no key of the ring can open
        await connection.execute(text("UPDATE card_message SET chat_id = 'v1.AAAAAAAAAAAAAAAA'"))
    await engine.dispose()
    unrelated = IdentityKeys.from_text(generate_key(), old=[generate_key()])
    engine = create_engine(url, keys=unrelated)
    with pytest.raises(IdentityKeyError):
        await rotate_identity_keys(create_session_factory(engine))
    await engine.dispose()
    engine = create_engine(url, keys=old)
    async with create_session_factory(engine)() as session:
        reporter = await session.scalar(select(Reporter))
        assert reporter is not None and reporter.phone == PHONE
    await engine.dispose()


def test_keys_rotate_command(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old_text, new_text = generate_key(), generate_key()
    asyncio.run(fill(url, IdentityKeys.from_text(old_text)))
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("IDENTITY_KEY", new_text)
    monkeypatch.delenv("IDENTITY_KEY_OLD", raising=False)

    refused = CliRunner().invoke(cli, ["keys", "rotate"])
    assert refused.exit_code == 2 and "IDENTITY_KEY_OLD" in refused.output

    result = CliRunner().invoke(cli, ["keys", "rotate", "--old-key", old_text])
    assert result.exit_code == 0, result.output
    assert "reporter: 1 row(s)" in result.output
    assert "original uploads: 0 re-sealed" in result.output
    asyncio.run(read_back(url, IdentityKeys.from_text(new_text)))


async def test_rotation_reseals_the_original_uploads_and_can_run_again(
    url: str, tmp_path: Path
) -> None:
    old_text, new_text = generate_key(), generate_key()
    old = IdentityKeys.from_text(old_text)
    await fill(url, old)
    media = LocalMediaStore(tmp_path / "media")
    upload = b"the photo exactly as the citizen sent it"
    sha = hashlib.sha256(upload).hexdigest()
    media.put_original(sha, old.seal_original(upload, sha256=sha))
    engine = create_engine(url, keys=old)
    async with create_session_factory(engine)() as session, session.begin():
        ticket = await session.scalar(select(Ticket))
        assert ticket is not None
        session.add(Evidence(ticket_id=ticket.id or 0, sha256="a" * 64, original_sha256=sha))
    await engine.dispose()

    engine = create_engine(url, keys=IdentityKeys.from_text(new_text, old=[old_text]))
    sessions = create_session_factory(engine)
    first = await reseal_originals(sessions, media)
    again = await reseal_originals(sessions, media)
    await engine.dispose()

    assert (first.resealed, again.resealed, again.current) == (1, 0, 1)
    sealed = media.get_original(sha)
    assert IdentityKeys.from_text(new_text).open_original(sealed, sha256=sha) == upload
    with pytest.raises(IdentityKeyError):
        old.open_original(sealed, sha256=sha)


async def plain_rows(url: str) -> list[tuple[object, ...]]:
    """The reporter rows as stored, read with no key at all."""
    async with engine_at(url, keys=None) as engine, engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT channel_user_id, real_name, phone FROM reporter")
        )
        return [tuple(row) for row in rows]


async def old_rows(url: str) -> None:
    """Rows as revision 0002 stored them: in the clear."""
    async with engine_at(url, keys=None) as engine, engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO reporter (id, channel, channel_user_id, real_name, phone,"
                " reachable, created_at) VALUES (1, 'telegram', :id, :name, :phone, true,"
                " '2026-01-01 00:00:00+00:00')"
            ),
            {"id": USER_ID, "name": NAME, "phone": PHONE},
        )
        await connection.execute(
            text("INSERT INTO user_pref (channel_user_id, language) VALUES (:id, 'en')"),
            {"id": USER_ID},
        )
        await connection.execute(
            text(
                "INSERT INTO fsm_record (key, state, data, updated_at) VALUES (:key, 'S',"
                " :data, '2026-01-01 00:00:00+00:00')"
            ),
            {"key": f"1:{USER_ID}:{USER_ID}:::default", "data": f'{{"phone": "{PHONE}"}}'},
        )


@pytest.mark.empty_database
async def test_migration_encrypts_existing_rows_and_downgrade_decrypts_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url
    await asyncio.to_thread(upgrade, url, "0002")
    await old_rows(url)
    keys = IdentityKeys.from_text(generate_key())

    with monkeypatch.context() as without_key:
        without_key.delenv("IDENTITY_KEY")
        with pytest.raises(IdentityKeyError, match="needs IDENTITY_KEY"):
            await asyncio.to_thread(upgrade, url)
    assert await plain_rows(url) == [(USER_ID, NAME, PHONE)]  # the failed run changed nothing
    await asyncio.to_thread(upgrade, url, "head", keys)

    [(stored_id, stored_name, stored_phone)] = await plain_rows(url)
    assert str(USER_ID) not in str(stored_id) and stored_name != NAME and stored_phone != PHONE
    engine = create_engine(url, keys=keys)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        reporter = await reporter_by_hash(session, USER_ID)
        assert reporter is not None and (reporter.real_name, reporter.phone) == (NAME, PHONE)
        assert await PeopleRepo(session).get_language(user_id=USER_ID) == "en"
    assert await DatabaseStorage(sessions).get_data(
        StorageKey(bot_id=1, chat_id=USER_ID, user_id=USER_ID)
    ) == {"phone": PHONE}
    await engine.dispose()

    await asyncio.to_thread(downgrade, url, "0002", keys)
    assert await plain_rows(url) == [(USER_ID, NAME, PHONE)]
