"""`/forget`: the bot deletes its recent messages in the reporter's chat, the ticket stays."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SnapreportApp
from emulator.client import ChatUser
from tests.conversations.staff import deliver, outbox, prefer_language, staff_action
from tests.conversations.steps import file_report, ticket_by_code
from tickets.clock import ManualClock


async def bot_texts(citizen: ChatUser) -> list[str]:
    return [m.content for m in await citizen.messages() if m.from_bot]


async def test_forget_deletes_what_telegram_still_allows_and_leaves_the_ticket(
    app: SnapreportApp, citizen: ChatUser, clock: ManualClock
) -> None:
    await prefer_language(app, citizen)
    code = await file_report(citizen)
    filing = await bot_texts(citizen)
    clock.advance(timedelta(hours=49))  # the filing's answers are now too old to delete
    ticket = await ticket_by_code(app, code)
    await staff_action(app, ticket.id or 0, action="accept")
    await deliver(app)
    await citizen.expect("has been accepted")
    await citizen.command("help")
    await citizen.expect("How to report")

    await citizen.command("forget")

    answer = await citizen.expect("Deleting 2 of my messages")
    assert f"{len(filing)} are older than 48 hours" in answer.content
    await deliver(app)
    left = await bot_texts(citizen)
    assert left == [*filing, answer.content]
    deletions = [row for row in await outbox(app) if row.method == "deleteMessage"]
    assert [row.state for row in deletions] == ["sent", "sent"]
    assert (await ticket_by_code(app, code)).state == "accepted"

    await citizen.command("forget")  # nothing recent is left but the last answer
    await citizen.expect("Deleting 1 of my messages")
