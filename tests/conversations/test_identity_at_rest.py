"""A copy of the database identifies nobody: after real-name and anonymous reports, a
question relayed to the reporter and answered, a reply and a survey with a comment, every
table's every value (SQLite: the rows and the raw files, WAL included; PostgreSQL: a
`pg_dump`) is searched for the reporters' ids, usernames, names and phones."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    answer_in_chat,
    ask_reporter,
    deliver,
    identity_of,
    open_card,
    prefer_language,
    press_data,
    staff_action,
)
from tests.conversations.steps import (
    DESCRIPTION,
    ask_for_real_name,
    confirm,
    file_report,
    reporter_of,
    ticket_by_code,
    to_identity,
)
from ui.keyboards import SurveyAnswer

ANSWER = "Window 3, around ten in the morning"
COMMENT = "He was back on his phone the next day"


async def real_name_report(citizen: ChatUser, *, seed: int = 1) -> str:
    await to_identity(citizen, seed=seed)
    await ask_for_real_name(citizen)
    await citizen.tap("Share my phone number")
    await citizen.expect("Thank you, Xiuying Wangmeihua")
    await citizen.expect("Please check your report")
    return await confirm(citizen)


async def anonymous_reporter(client: EmulatorClient) -> ChatUser:
    """A citizen whose names and username must never be seen by anyone: Jianguoqiang."""
    return await client.chat_user(
        first_name="Jianguoqiang",
        last_name="Lichangsheng",
        username="ljg_watcher_2026",
        language_code="en",
    )


async def question_answered(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, code: str
) -> None:
    await open_card(supervisor, code)
    await ask_reporter(supervisor, "Which window was it, and when?")
    ticket = await ticket_by_code(app, code)
    await answer_in_chat(
        citizen, ticket.id or 0, ANSWER, passed="was passed on. You stay anonymous"
    )


def sqlite_dump(database: Path) -> bytes:
    """Every value of every table, and the raw bytes of the database and its WAL."""
    connection = sqlite3.connect(database)
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master")]
        values = [
            repr(row)
            for table in tables
            if connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            for row in connection.execute(f'SELECT * FROM "{table}"')
        ]
    finally:
        connection.close()
    raw = b"".join(
        path.read_bytes()
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
        if path.exists()
    )
    return "\n".join(values).encode() + b"\n" + raw


def database_dump(app: SnapreportApp, request: pytest.FixtureRequest) -> bytes:
    url = make_url(app.settings.database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        return sqlite_dump(Path(url.database))
    server = request.getfixturevalue("pg_server")
    assert url.database is not None
    return str(server.dump(url.database)).encode()


async def test_a_database_dump_identifies_no_reporter(
    app: SnapreportApp,
    supervisor: ChatUser,
    client: EmulatorClient,
    request: pytest.FixtureRequest,
) -> None:
    named = await client.chat_user(
        first_name="Xiuying",
        last_name="Wangmeihua",
        username="wxy_reports_1975",
        language_code="en",
    )
    hidden = await anonymous_reporter(client)
    await prefer_language(app, named, hidden)
    named_code = await real_name_report(named)
    hidden_code = await file_report(hidden, seed=2)
    await question_answered(app, supervisor, hidden, hidden_code)

    named_ticket = await ticket_by_code(app, named_code)
    await staff_action(app, named_ticket.id or 0, action="accept")
    await staff_action(app, named_ticket.id or 0, action="resolve", text="The clerk was warned.")
    await deliver(app)
    await named.command("status", named_code)
    await named.expect("Status: Resolved")
    await press_data(named, SurveyAnswer(ticket_id=named_ticket.id or 0, rating="unsatisfied"))
    await named.expect("What was not right?")
    await named.send(COMMENT)
    await named.expect("your comment was passed on")
    await deliver(app)

    # What the bot needs it can still read: the identity is there, decrypted on load.
    reporter = await reporter_of(app, named.id)
    assert reporter is not None
    assert (reporter.real_name, reporter.phone) == ("Xiuying Wangmeihua", named.phone_number)

    dump = await asyncio.to_thread(database_dump, app, request)
    # The dump is a real one: what is not identity is in it, in the clear.
    for present in (DESCRIPTION, COMMENT, ANSWER, named_code, hidden_code):
        assert present.encode() in dump, present
    secrets = [*identity_of(named), *identity_of(hidden)]
    secrets += [user.phone_number.lstrip("+") for user in (named, hidden)]
    found = [secret for secret in secrets if secret.encode() in dump]
    assert found == []
