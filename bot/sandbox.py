"""`snapreport demo --web`: the emulator and the real bot, played in a browser as two phones.

Like `snapreport demo`, everything runs in this process on a temporary SQLite database with
no token and no internet; instead of a script, a person plays both sides: the citizen who
reports and the supervisor of the intake department (where unrouted reports land). The page
is the `sandbox` package; this module wires it to the emulator and the app and keeps them
running until Ctrl-C. Follow-ups (the survey after the reply) are ticked every second, so the
cycle does not wait for the scheduler's half-minute sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import tempfile
import webbrowser
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiohttp import web

from bot.app import SnapreportApp
from bot.demo import ADMIN_ID, CITIZEN_ID, RATE_SCALE, SUPERVISOR_ID, demo_settings, sample_photos
from config.logs import configure_logging
from emulator.client import EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from sandbox.web import Phone, sandbox_app
from storage.directory import SqlDirectory
from storage.models import Member
from tickets.clock import Clock, SystemClock

log = structlog.get_logger(__name__)
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    app: SnapreportApp
    emulator: EmulatorServer


async def seed_supervisor(app: SnapreportApp, user_id: int, name: str) -> None:
    """Make `user_id` a supervisor of the intake department, where unrouted reports land."""
    async with app.session_factory() as session, session.begin():
        intake = await SqlDirectory(session).intake_department_id()
        session.add(
            Member(
                channel_user_id=user_id, display_name=name, role="supervisor", department_id=intake
            )
        )


async def tick(app: SnapreportApp) -> None:
    """Fire due follow-ups and send due messages every second, for as long as it runs."""
    while True:
        await asyncio.sleep(TICK_SECONDS)
        if app.scheduler is None:
            continue
        try:
            await app.scheduler.run_due_once()
        except Exception:  # the next tick tries again; the scheduler's own sweep stays
            log.exception("sandbox_tick_failed")


async def open_phones(client: EmulatorClient, app: SnapreportApp) -> list[Phone]:
    """The citizen and the intake's supervisor, each having opened the bot's chat."""
    citizen = await client.chat_user(user_id=CITIZEN_ID, first_name="李", language_code="zh-hans")
    supervisor = await client.chat_user(
        user_id=SUPERVISOR_ID, first_name="王", language_code="zh-hans"
    )
    # The admin opened the chat too, so the office's notices reach somebody (off the page).
    await client.chat_user(user_id=ADMIN_ID, first_name="赵", language_code="zh-hans")
    await seed_supervisor(app, SUPERVISOR_ID, "王")
    return [Phone("citizen", citizen), Phone("supervisor", supervisor)]


async def stop_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def running_sandbox(
    root: Path, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None
) -> AsyncIterator[RunningSandbox]:
    """The emulator, the app on a database in `root`, and the page at the yielded URL."""
    async with contextlib.AsyncExitStack() as stack:
        server = EmulatorServer(EmulatorConfig(rate_scale=RATE_SCALE))
        await server.start()
        stack.push_async_callback(server.stop)
        settings = demo_settings(server, root, digests_enabled=False)
        app = SnapreportApp(settings, clock=clock or SystemClock())
        await app.start()
        stack.push_async_callback(app.stop)
        client = await stack.enter_async_context(EmulatorClient(server.url))
        page = sandbox_app(
            await open_phones(client, app),
            sample_photo=sample_photos()[0],
            i18n=app.i18n,
        )
        # A poll held open for a closed tab ends with it, and at shutdown after a second.
        runner = web.AppRunner(
            page, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, host, port).start()
        stack.push_async_callback(stop_task, asyncio.create_task(tick(app)))
        bound = runner.addresses[0][1]
        yield RunningSandbox(url=f"http://{host}:{bound}/", app=app, emulator=server)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def can_open_browser() -> bool:
    """A desktop to open a browser on: not CI, not a bare SSH session."""
    if os.environ.get("CI"):
        return False
    desktop = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    return bool(desktop) or sys.platform in ("darwin", "win32")


async def run_sandbox(*, port: int, open_browser: bool) -> int:
    """Serve the sandbox until Ctrl-C; returns the process exit code."""
    configure_logging("WARNING", hash_key=secrets.token_hex(16))
    say("snapreport sandbox: starting the emulator and the bot on a temporary database…")
    with tempfile.TemporaryDirectory(prefix="snapreport-sandbox-") as tmp:
        async with running_sandbox(Path(tmp), port=port) as sandbox:
            say(f"snapreport sandbox: open {sandbox.url}  (Ctrl-C stops it)")
            if open_browser and can_open_browser():
                await asyncio.to_thread(webbrowser.open, sandbox.url)
            stop = asyncio.Event()
            # A service manager's SIGTERM stops it like Ctrl-C: the temporary data goes too.
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()
    return 0
