"""Many citizens at once: the intake must not run out of database connections."""

from __future__ import annotations

import asyncio

from emulator.client import ChatUser, EmulatorClient

CITIZENS = 24  # more than the main pool holds (SQLite: 5 + 10 overflow; PostgreSQL: 10 + 10)


async def test_many_concurrent_drafts_all_get_their_panel(
    client: EmulatorClient, citizen: ChatUser
) -> None:
    people = [
        await client.chat_user(first_name=f"c{i}", language_code="en") for i in range(CITIZENS)
    ]

    async def start(person: ChatUser) -> None:
        await person.command("report")
        await person.expect("Step 1/5", timeout=20)
        await person.send("Hello?")
        await person.expect("Please send a photo first", timeout=20)

    await asyncio.gather(*(start(person) for person in people))
