"""The web console under test: the real app with CONSOLE_URL set, on a free loopback port.

SQLite only: the console's queries are the chat's (`storage.reads`, the use cases), which
the conversation tests already run on PostgreSQL; these tests are about HTTP and the browser.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from config.settings import Settings
from emulator.client import ChatUser
from emulator.server import EmulatorServer
from tests.conftest import emulated_settings

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/console/login\?t=[A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'snapreport.sqlite3'}"


@pytest.fixture
def console_port() -> int:
    return free_port()


@pytest.fixture
def settings(
    emulator: EmulatorServer, database_url: str, tmp_path: Path, console_port: int
) -> Settings:
    return emulated_settings(
        emulator,
        database_url,
        tmp_path / "media",
        console_url=f"http://127.0.0.1:{console_port}",
        webhook_port=console_port,
    )


async def login_link(staff: ChatUser) -> str:
    """`/console` in the staff member's private chat: the one-time link the bot sends."""
    await staff.command("console")
    message = await staff.expect("/console/login?t=")
    found = LINK.search(message.content)
    assert found, message.content
    return found.group(1)
