"""Hostile input runs on SQLite only, and a handler that crashes fails the test.

What is under test here is how the bot answers bad input, not the database: one backend
keeps the directory fast. Most modules share one bot (`shared`: the emulator, the app on a
fresh SQLite file, the control client) for the whole module, each test with people of its
own; the few that change settings use the function-scoped `app` of tests/conftest.py.

Either way, `CrashWatch` sees every error that reaches the errors router other than a
`DomainError` (a refusal, answered on purpose) and every exception that escapes
`feed_update`: the test fails at teardown naming them, after the bot has finished with
what the test sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiogram.types import ErrorEvent, TelegramObject, Update

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from tests.conftest import (
    ADMIN_ID,
    RATE_SCALE,
    START,
    SUPERVISOR_ID,
    emulated_settings,
    stop_or_explain,
)
from tests.conversations.staff import intake_id, prefer_language
from tests.factories import member_row
from tickets.clock import ManualClock
from tickets.errors import DomainError

# Every test in a module of the shared bot runs in the module's event loop.
module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (tests/conftest.py parametrises SQLite and PostgreSQL)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'snapreport.sqlite3'}"


class CrashWatch:
    """Records what a handler let escape other than a refusal, by update."""

    def __init__(self) -> None:
        self.crashes: list[str] = []

    def install(self, app: SnapreportApp) -> None:
        app.dp.errors.outer_middleware(self._on_error)
        feed = app.dp.feed_update

        async def feed_update(bot: Any, update: Update, **kwargs: Any) -> Any:
            try:
                return await feed(bot, update, **kwargs)
            except Exception as error:
                self.crashes.append(f"update {update.update_id} escaped: {error!r}")
                raise

        app.dp.feed_update = feed_update  # type: ignore[method-assign]

    async def _on_error(self, handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, ErrorEvent) and not isinstance(event.exception, DomainError):
            self.crashes.append(f"update {event.update.update_id}: {event.exception!r}")
        return await handler(event, data)

    async def check(self, app: SnapreportApp) -> None:
        """Fail if anything crashed, once the bot is done with everything sent so far."""
        await app.lanes.idle()
        await app.album_panels.wait_idle()
        crashes, self.crashes = self.crashes, []
        assert crashes == [], "a handler crashed:\n" + "\n".join(crashes)


@pytest.fixture
async def app(app: SnapreportApp) -> AsyncIterator[SnapreportApp]:
    """tests/conftest.py's app, watched for crashes."""
    watch = CrashWatch()
    watch.install(app)
    yield app
    await watch.check(app)


@dataclass
class Shared:
    """One emulator and one bot for a module; each test makes the people it needs."""

    emulator: EmulatorServer
    app: SnapreportApp
    client: EmulatorClient
    clock: ManualClock
    watch: CrashWatch = field(default_factory=CrashWatch)
    _admin: ChatUser | None = None
    _supervisor: ChatUser | None = None

    async def citizen(self, first_name: str = "Wei", **user: Any) -> ChatUser:
        """A new English-speaking citizen with the bot's chat open."""
        user.setdefault("language_code", "en")
        return await self.client.chat_user(first_name=first_name, **user)

    async def admin(self) -> ChatUser:
        """The administrator, caught up with everything sent to them before."""
        if self._admin is None:
            self._admin = await self.client.chat_user(
                user_id=ADMIN_ID, first_name="Admin", language_code="en"
            )
            await prefer_language(self.app, self._admin)
        await self._admin.catch_up()
        return self._admin

    async def supervisor(self) -> ChatUser:
        """A supervisor of the intake department, caught up."""
        if self._supervisor is None:
            user = await self.client.chat_user(
                user_id=SUPERVISOR_ID, first_name="Sup", language_code="en"
            )
            async with self.app.session_factory() as session, session.begin():
                session.add(member_row(user.id, await intake_id(self.app)))
            await prefer_language(self.app, user)
            self._supervisor = user
        await self._supervisor.catch_up()
        return self._supervisor


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    emulator = EmulatorServer(EmulatorConfig(rate_scale=RATE_SCALE, seed=7))
    await emulator.start()
    folder = tmp_path_factory.mktemp("hostile")
    database_url = f"sqlite+aiosqlite:///{folder / 'snapreport.sqlite3'}"
    settings = emulated_settings(emulator, database_url, folder / "media")
    clock = ManualClock(START)
    app = SnapreportApp(settings, clock=clock)
    shared: Shared | None = None
    await app.start()
    try:
        async with EmulatorClient(emulator.url) as client:
            shared = Shared(emulator, app, client, clock)
            shared.watch.install(app)
            yield shared
    finally:
        await stop_or_explain(app)
        await emulator.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def shared(shared_bot: Shared) -> AsyncIterator[Shared]:
    """The module's bot, checked for crashes after each test."""
    yield shared_bot
    await shared_bot.watch.check(shared_bot.app)
