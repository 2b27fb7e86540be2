"""`snapreport purge`: a dry run prints what would go and changes nothing; a real run
deletes it and audits it as run by the command."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import create_engine, create_session_factory
from storage.media import LocalMediaStore
from storage.migrate import upgrade
from storage.models import Evidence, Reporter, RetentionPurge, Ticket
from tests.factories import department_row, ticket_row
from tests.keys import TEST_KEYS
from tests.scheduler.conftest import jpeg


async def seed(url: str, media: LocalMediaStore) -> str:
    """One ticket closed 400 days ago, with a photo and a real-name reporter."""
    engine = create_engine(url, keys=TEST_KEYS)
    closed = datetime.now(UTC) - timedelta(days=400)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            department = department_row("城管局")
            reporter = Reporter(channel_user_id=620_000_001, real_name="钱某", phone="135")
            session.add_all([department, reporter])
            await session.flush()
            ticket = ticket_row(
                "SR-CLI-1",
                department.id or 0,
                reporter.id or 0,
                state="closed",
                created_at=closed - timedelta(days=3),
                closed_at=closed,
            )
            session.add(ticket)
            await session.flush()
            sha = media.put(jpeg())
            session.add(Evidence(ticket_id=ticket.id or 0, sha256=sha))
    finally:
        await engine.dispose()
    return sha


async def state(url: str) -> tuple[list[datetime | None], list[str], int]:
    engine = create_engine(url, keys=TEST_KEYS)
    try:
        async with create_session_factory(engine)() as session:
            purged = [t.purged_at for t in await session.scalars(select(Ticket))]
            audit = [
                f"{r.trigger}:{r.kind}:{r.count}"
                for r in await session.scalars(select(RetentionPurge))
            ]
            evidence = len(list(await session.scalars(select(Evidence))))
    finally:
        await engine.dispose()
    return purged, audit, evidence


def test_purge_dry_run_then_for_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    media = LocalMediaStore(tmp_path / "media")
    sha = asyncio.run(seed(url, media))
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {"DATABASE_URL": url, "MEDIA_DIR": str(tmp_path / "media")}

    dry = CliRunner().invoke(app, ["purge", "--dry-run"], env=env)

    assert dry.exit_code == 0, dry.output
    assert "1  closed tickets reduced to their figures" in dry.output
    assert "dry run: nothing changed" in dry.output
    assert asyncio.run(state(url)) == ([None], [], 1)
    assert media.exists(sha)

    real = CliRunner().invoke(app, ["purge"], env=env)

    assert real.exit_code == 0, real.output
    assert "audited" in real.output
    purged, audit, evidence = asyncio.run(state(url))
    assert purged[0] is not None and evidence == 0
    assert "command:tickets:1" in audit and "command:files:1" in audit
    assert not media.exists(sha)
