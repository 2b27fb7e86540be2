"""The wired bot answers /start and /help in the user's language, and sets its menu."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app import SnapreportApp
from config.logs import configure_logging, user_hash
from emulator.client import ChatUser


async def test_start_greets_in_english_for_english_users(citizen: ChatUser) -> None:
    await citizen.start()
    await citizen.expect("snap-a-photo channel")


async def test_help_lists_status_command(citizen: ChatUser) -> None:
    await citizen.command("help")
    await citizen.expect("/status")


async def test_start_greets_in_chinese_by_default(citizen_zh: ChatUser) -> None:
    await citizen_zh.start()
    await citizen_zh.expect("随手拍")


async def test_command_menu_is_set_in_both_languages(app: SnapreportApp) -> None:
    chinese = await app.bot.get_my_commands()
    english = await app.bot.get_my_commands(language_code="en")
    assert "status" in {c.command for c in chinese}
    assert any("代码" in c.description or "编号" in c.description for c in chinese)
    assert any("code" in c.description for c in english)


async def test_one_log_line_per_update_names_the_handler_and_hides_the_user_id(
    app: SnapreportApp,
    citizen: ChatUser,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    configure_logging("INFO", json=True)
    await citizen.command("help")
    await citizen.expect("/status")
    captured = ""
    for _ in range(100):  # the line is written when the handler returns: poll, bounded
        captured += capsys.readouterr().err
        if '"event": "update"' in captured:
            break
        await asyncio.sleep(0.02)
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    updates = [line for line in lines if line.get("event") == "update"]
    assert len(updates) == 1
    assert updates[0]["handler"] == "show_help" and updates[0]["latency_ms"] >= 0
    assert updates[0]["user"] == user_hash(citizen.id)
    assert str(citizen.id) not in json.dumps(lines)
