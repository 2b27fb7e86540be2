"""The wired bot answers /start and /help in the user's language, and sets its menu."""

from __future__ import annotations

from emulator.client import ChatUser


async def test_start_greets_in_english_for_english_users(citizen: ChatUser) -> None:
    await citizen.start()
    await citizen.expect("snap-a-photo channel")


async def test_help_lists_status_command(citizen: ChatUser) -> None:
    await citizen.command("help")
    await citizen.expect("/status")
