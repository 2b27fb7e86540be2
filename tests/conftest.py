"""Shared fixtures: the emulator, the bot in-process, databases, and the people who chat.

`app` runs the real `SnapreportApp` against the project's Bot API emulator over HTTP, on
SQLite and (for every test that uses it) again on a real PostgreSQL started for the
session. `citizen`, `supervisor` and `admin` are `ChatUser`s that converse through the
emulator's control API, exactly as people do through Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import structlog
from pydantic import SecretStr

import tests.keys  # noqa: F401  (IDENTITY_KEY for every Settings, before any is built)
from bot.app import SnapreportApp
from config import logs
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from tests import hangs, schema
from tests.factories import add_department, member_row
from tests.fakes import Fakes
from tests.pgserver import PostgresServer, PostgresUnavailable
from tests.redisserver import RedisServer, RedisUnavailable
from tests.s3server import S3Server, s3_server
from tickets.clock import ManualClock

# The browser tests' fixtures (`browser`, `screenshots`): the console's and the sandbox's.
pytest_plugins = ["tests.browser"]
ADMIN_ID = 700_000_001
# A stop that takes longer has hung (the app bounds its own graceful stop well below).
STOP_LIMIT = 60.0
SUPERVISOR_ID = 700_000_002
# Tests run 20x faster than Telegram's limits; the bot's limiter is scaled the same way.
RATE_SCALE = 20.0
BACKENDS = [
    b for b in os.environ.get("SNAPREPORT_TEST_BACKENDS", "sqlite,postgres").split(",") if b
]
# Webhook mode refuses secrets under 32 random characters (config.settings).
WEBHOOK_SECRET = "tW8q-Zr3xN0vLk5_HcYp2uJm9sBe4GdA7fQi"
# Monday 2026-11-23 09:00 in Shanghai: a working day, office hours.
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every coroutine test gets the hang watchdog, set up before its other fixtures, and a
    test worker group: its file, or one group for all crash tests."""
    for item in items:
        function = getattr(item, "function", None)
        if inspect.iscoroutinefunction(function):
            item.fixturenames.insert(0, "hang_watchdog")  # type: ignore[attr-defined]
        item.add_marker(pytest.mark.xdist_group(worker_group(item)))


def worker_group(item: pytest.Item) -> str:
    """A file's tests share one worker (and its module fixtures); the crash tests, which each
    run several bot processes flat out, share one worker so that no two of them overlap: on
    two cores, two at once starve each other past their deadlines."""
    if item.get_closest_marker("crash"):
        return "crash"
    return item.nodeid.split("::", 1)[0]


@pytest.fixture
async def hang_watchdog(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    code = getattr(request.function, "__code__", None)
    longer = request.node.get_closest_marker("hang_limit")  # a test known to run long
    limit = float(longer.args[0]) if longer else None
    watchdog = asyncio.create_task(
        hangs.watch(request.node.nodeid, code, limit), name="hang-watchdog"
    )
    yield
    watchdog.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watchdog


Server = TypeVar("Server", PostgresServer, RedisServer)


def _serving(server: Server, unavailable: type[Exception], name: str) -> Iterator[Server]:
    """Start `server` for the session, stop it after; skip (fail in CI) where it cannot run."""
    try:
        server.start()
    except unavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"{name} must run in CI: {error}")
        pytest.skip(f"{name} unavailable here: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    yield from _serving(PostgresServer(), PostgresUnavailable, "PostgreSQL")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from _serving(RedisServer(), RedisUnavailable, "Redis")


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis server, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """moto's S3 server on loopback, for the session (buckets keep tests apart)."""
    with s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    """A fresh, empty bucket on the session's S3 server."""
    name = f"snap-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(name)
    return name


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the schema's head (a copy, see `tests.schema`): a SQLite file, or
    a new database on the session's server; empty for tests marked `empty_database`."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "snapreport.sqlite3"
        if empty:
            return schema.sqlite_url(path)
        return schema.copy_sqlite(request.getfixturevalue("sqlite_at_head"), path)
    server: PostgresServer = request.getfixturevalue("pg_server")
    template = None if empty else request.getfixturevalue("postgres_at_head")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}", template)


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This worker's SQLite database at the schema's head, copied by `database_url`."""
    return schema.migrated_sqlite(tmp_path_factory.mktemp("schema") / "head.sqlite3")


@pytest.fixture(scope="session")
def postgres_at_head(pg_server: PostgresServer) -> str:
    """This worker's PostgreSQL template at the schema's head, copied by `database_url`."""
    return schema.migrated_postgres_template(pg_server)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Logging is process-wide: put back what the other tests rely on."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    keys = (logs._Keys.hash_key, logs._Keys.random_key, logs._Keys.secrets)
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
    logs._Keys.hash_key, logs._Keys.random_key, logs._Keys.secrets = keys


@pytest.fixture
def fakes() -> Fakes:
    """The in-memory ports the use cases run with."""
    return Fakes()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def rate_scale() -> float:
    """How much faster than Telegram the emulator's rate limits run (a test may override)."""
    return RATE_SCALE


@pytest.fixture
async def emulator(rate_scale: float) -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig(rate_scale=rate_scale, seed=7))
    await server.start()
    yield server
    await server.stop()


def emulated_settings(
    emulator: EmulatorServer, database_url: str, media_dir: Path, **more: Any
) -> Settings:
    """The app's settings against `emulator`, at its sped-up rates (`more` adds to them)."""
    return Settings(
        _env_file=None,
        bot_token=emulator.token,
        telegram_api_url=emulator.url,
        database_url=database_url,
        media_dir=media_dir,
        admin_ids=frozenset({ADMIN_ID}),
        poll_timeout=1,
        digests_enabled=False,  # cron on the wall clock: a run at 08:30 would add outbox rows
        rate_global_per_second=30.0 * RATE_SCALE,
        rate_private_per_second=1.0 * RATE_SCALE,
        rate_group_per_minute=20.0 * RATE_SCALE,
        **more,
    )


@pytest.fixture
def settings(emulator: EmulatorServer, database_url: str, tmp_path: Path) -> Settings:
    return emulated_settings(emulator, database_url, tmp_path / "media")


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[SnapreportApp]:
    application = SnapreportApp(settings, clock=clock)
    await application.start()
    yield application
    await stop_or_explain(application)


async def stop_or_explain(application: SnapreportApp) -> None:
    """Stop the app; if that hangs, fail with every task's stack instead of hanging CI."""
    try:
        async with asyncio.timeout(STOP_LIMIT):
            await application.stop()
    except TimeoutError:
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.stderr)
        raise


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator.url) as control:
        yield control


@pytest.fixture
async def citizen(client: EmulatorClient, app: SnapreportApp) -> ChatUser:
    return await client.chat_user(first_name="Wei", last_name="Zhang", language_code="en")


@pytest.fixture
async def citizen_zh(client: EmulatorClient, app: SnapreportApp) -> ChatUser:
    return await client.chat_user(first_name="伟", last_name="张", language_code="zh-hans")


@pytest.fixture
async def admin(client: EmulatorClient, app: SnapreportApp) -> ChatUser:
    return await client.chat_user(user_id=ADMIN_ID, first_name="Admin", language_code="en")


async def intake_supervisor(client: EmulatorClient, app: SnapreportApp) -> ChatUser:
    """Sup, on Telegram, a supervisor of the intake department (where unrouted reports land)."""
    user = await client.chat_user(user_id=SUPERVISOR_ID, first_name="Sup", language_code="en")
    async with app.session_factory() as session, session.begin():
        from storage.directory import SqlDirectory

        intake = await SqlDirectory(session).intake_department_id()
        session.add(member_row(user.id, intake))
    return user


@pytest.fixture
async def supervisor(client: EmulatorClient, app: SnapreportApp) -> ChatUser:
    """A supervisor of the intake department (where unrouted reports land)."""
    return await intake_supervisor(client, app)


def webhook_settings(
    settings: Settings, port: int, *, front_port: int | None = None, **more: Any
) -> Settings:
    """`settings` in webhook mode on `port` with the test secret, Telegram calling
    `front_port` (the same port by default); `more` settings besides."""
    url = f"http://127.0.0.1:{front_port or port}"
    secret = SecretStr(WEBHOOK_SECRET)
    update = {"webhook_url": url, "webhook_secret": secret, "webhook_port": port, **more}
    return settings.model_copy(update=update)


async def make_department(app: SnapreportApp, name: str) -> int:
    return await add_department(app.session_factory, name)
