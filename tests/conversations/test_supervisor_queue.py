"""Work queues: /queue (oldest deadline first, cards marked, paged), /ticket, /find."""

from __future__ import annotations

from datetime import timedelta

from bot.app import SnapreportApp
from emulator.client import ChatUser
from storage.models import Ticket
from tests.conversations.staff import new_ticket, staff_action
from tickets.clock import ManualClock


async def give_card(app: SnapreportApp, ticket_id: int, card: str) -> None:
    async with app.session_factory() as session, session.begin():
        row = await session.get(Ticket, ticket_id)
        assert row is not None
        row.card = card


async def test_queue_is_oldest_deadline_first_marked_and_paged(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, clock: ManualClock
) -> None:
    tickets = []
    for _ in range(6):
        tickets.append(await new_ticket(app, citizen))
        clock.advance(timedelta(minutes=10))
    # Accepting moves a ticket to its (later) resolve deadline: it drops to the end.
    await staff_action(app, tickets[0].id, action="accept")
    await give_card(app, tickets[1].id, "red")
    await give_card(app, tickets[2].id, "yellow")
    closed = await new_ticket(app, citizen)
    await staff_action(app, closed.id, action="reject", text="Not ours")

    await supervisor.command("queue")
    first = await supervisor.expect("Open tickets · 6 · page 1/2")
    order = [t.code for t in tickets[1:]] + [tickets[0].code]
    positions = [first.content.index(code) for code in order[:5]]
    assert positions == sorted(positions)
    assert f"🟥 {tickets[1].code}" in first.content
    assert f"🟨 {tickets[2].code}" in first.content
    assert tickets[0].code not in first.content and closed.code not in first.content

    await supervisor.press("Next")
    second = await supervisor.expect("page 2/2")
    assert tickets[0].code in second.content and "resolve by" in second.content
    await supervisor.press("Previous")
    await supervisor.expect("page 1/2")

    await supervisor.press(tickets[3].code)
    card = await supervisor.expect(f"{tickets[3].code} · New")
    assert "✅ Accept" in [b.text for b in card.inline_buttons]


async def test_ticket_shows_the_full_history_to_the_department(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, admin: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    await staff_action(app, ticket.id, action="ask", text="Which window was it?")
    await supervisor.command("ticket", ticket.code)
    history = await supervisor.expect(f"History of {ticket.code}")
    for line in ("📥 Filed — the reporter", "✅ Accepted — an administrator (New → Accepted)"):
        assert line in history.content
    assert "Which window was it?" in history.content
    assert str(citizen.id) not in history.content and "Wei" not in history.content
    card = await supervisor.expect("Reporter: anonymous")
    assert "❓ Question to the reporter — an administrator" in card.content
    await admin.command("ticket", ticket.code)  # administrators see every department
    await admin.expect(f"History of {ticket.code}")
    await supervisor.command("ticket", "SR-0000-0000")
    await supervisor.expect("incomplete: one check character is missing")
    await supervisor.command("ticket", "SR-00#0-0000-0")
    await supervisor.expect("looks like SR-7K3Q-9XPA-X")
    await supervisor.command("ticket", ticket.code.lower().replace("-", " ").replace("1", "l"))
    await supervisor.expect(f"History of {ticket.code}")
    await citizen.command("ticket", ticket.code)
    await citizen.expect("for department staff only")


async def test_find_by_category_state_and_date(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, clock: ManualClock
) -> None:
    idle = await new_ticket(app, citizen, category="idle")
    rude = await new_ticket(app, citizen, category="rude")
    clock.advance(timedelta(days=2))
    later = await new_ticket(app, citizen, category="rude")
    await staff_action(app, later.id, action="accept")

    await supervisor.command("find", "rude")
    found = await supervisor.expect("2 ticket(s) found")
    assert rude.code in found.content and later.code in found.content
    assert idle.code not in found.content
    await supervisor.command("find", "state=accepted")
    found = await supervisor.expect("1 ticket(s) found")
    assert later.code in found.content
    await supervisor.command("find", "2026-11-23")
    found = await supervisor.expect("2 ticket(s) found")
    assert later.code not in found.content
    await supervisor.command("find", "rude 2026-11-24..2026-11-30")
    found = await supervisor.expect("1 ticket(s) found")
    assert later.code in found.content
    await supervisor.command("find", "yesterday")
    await supervisor.expect("Not understood: yesterday")
    await supervisor.command("find", "car")
    await supervisor.expect("No tickets match")


async def test_a_real_name_ticket_card_says_so_without_name_or_phone(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen, real_name=True)
    await supervisor.command("ticket", ticket.code)
    await supervisor.expect("History of")
    card = await supervisor.expect("Reporter: real name (press “View real-name info”)")
    assert "anonymous" not in card.content
    assert "Wei" not in card.content and citizen.phone_number not in card.content
    assert "🔐 View real-name info" in [b.text for b in card.inline_buttons]
