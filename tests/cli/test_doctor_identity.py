"""The doctor's identity-key line: `run` must not start without IDENTITY_KEY, nor with a
key other than the one the stored identities were encrypted with."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr

from bot.doctor import Doctor, Status, blocking, check_identity_key
from config.settings import Settings
from storage.db import create_engine, create_session_factory
from storage.identity import IdentityKeys, generate_key
from storage.migrate import upgrade
from storage.models import Reporter


def settings_for(url: str, key: str | None) -> Settings:
    return Settings(_env_file=None, database_url=url, identity_key=SecretStr(key) if key else None)


async def test_a_missing_key_is_a_fatal_failure(tmp_path: Path) -> None:
    result = await check_identity_key(
        Doctor(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", None))
    )
    assert (result.status, result.fatal) == (Status.FAIL, True)
    assert "IDENTITY_KEY is not set" in result.detail and "keys init" in result.fix
    assert blocking([result]) == [result]


async def test_a_malformed_key_is_a_fatal_failure(tmp_path: Path) -> None:
    result = await check_identity_key(
        Doctor(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", "c2hvcnQ="))
    )
    assert (result.status, result.fatal) == (Status.FAIL, True)
    assert "32 bytes" in result.detail


async def test_a_key_the_data_was_not_written_with_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    written_with = generate_key()
    engine = create_engine(url, keys=IdentityKeys.from_text(written_with))
    async with create_session_factory(engine)() as session, session.begin():
        session.add(Reporter(channel_user_id=12345678))
    await engine.dispose()

    right = await check_identity_key(Doctor(settings_for(url, written_with)))
    wrong = await check_identity_key(Doctor(settings_for(url, generate_key())))

    assert right.status is Status.OK
    assert IdentityKeys.from_text(written_with).key_id in right.detail
    assert (wrong.status, wrong.fatal) == (Status.FAIL, True)
    assert "do not open with IDENTITY_KEY" in wrong.detail and "wrong key" in wrong.detail
