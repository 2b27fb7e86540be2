"""Every source, one queue: staff register a report received by the 12345 hotline with
`/new`; it gets the card, deadlines and handling of any report, and the registrar is told to
pass the reply on to the contact recorded (kept encrypted, never on the card, revealed to
the department like a real name); `/stats` counts it under its source. An empty
description is refused with nothing stored; a citizen cannot use `/new`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    accept_on_card,
    deliver,
    identity_views,
    prefer_language,
    resolve_with_reply,
    staff_member,
)
from tests.conversations.steps import CATEGORY, count_tickets, events_of, ticket_by_code
from tests.factories import add_department
from tests.imagefactory import jpeg_bytes
from tickets.actors import Actor, Membership, Role
from tickets.clock import ManualClock
from tickets.errors import ValidationError
from tickets.intake import register_report
from tickets.views import NewReport

CONTACT = "Ms Li 13800001234"
ACCOUNT = "Caller says the clerk at window 3 asked for a red envelope"


async def clerk_of_hotline_desk(app: SnapreportApp, client: EmulatorClient) -> ChatUser:
    """A handler of a department of its own: staff, but not where the ticket is handled."""
    hotline = await add_department(app.session_factory, "热线室")
    return await staff_member(app, client, "Clerk", hotline, "handler")


def staff_actor(user: ChatUser) -> Actor:
    return Actor(user_id=user.id, memberships=(Membership(1, Role.SUPERVISOR, 1),))


async def register_by_hotline(clerk: ChatUser) -> str:
    await clerk.command("new")
    await clerk.expect("Where did it come from?")
    await clerk.press("12345 hotline")
    await clerk.expect("Step 2/6")
    await clerk.send(ACCOUNT)
    await clerk.expect("Step 3/6")
    await clerk.press(CATEGORY)
    await clerk.expect("Step 4/6")
    await clerk.send("Tax hall, window 3")
    await clerk.expect("Step 5/6")
    await clerk.send_photo(jpeg_bytes(seed=7))
    await clerk.expect("Received: 1 photo")
    await clerk.press("Done")
    await clerk.expect("Step 6/6")
    await clerk.send(CONTACT)
    preview = await clerk.expect("Please check the report")
    assert "Source: 12345 hotline" in preview.content and CONTACT in preview.content
    await clerk.press("Confirm")
    done = await clerk.expect("Registered as")
    return done.content.split("Registered as ")[1].split(" ")[0]


async def test_a_hotline_ticket_from_new_through_resolution(
    app: SnapreportApp,
    client: EmulatorClient,
    clock: ManualClock,
    supervisor: ChatUser,
) -> None:
    clerk = await clerk_of_hotline_desk(app, client)
    await prefer_language(app, clerk, supervisor)
    code = await register_by_hotline(clerk)

    row = await ticket_by_code(app, code)
    assert row.id is not None
    assert (row.intake_source, row.channel, row.reply_contact) == (
        "hotline_12345",
        "office",
        CONTACT,
    )
    async with app.session_factory() as session:
        stored = await session.scalar(
            text("SELECT reply_contact FROM ticket WHERE id = :id"), {"id": row.id}
        )
    assert "13800001234" not in str(stored)  # encrypted at rest, like a reporter's phone
    filed = (await events_of(app, row.id))[0]
    assert (filed.kind, filed.actor_kind, filed.actor_id) == ("submitted", "member", clerk.id)
    assert filed.payload["source"] == "hotline_12345"

    await deliver(app)
    card = await supervisor.expect("Reporter: via")
    assert "via 12345 hotline, reply contact on record" in card.content
    assert "13800001234" not in card.content
    buttons = [b.text for b in card.inline_buttons]
    assert "✅ Accept" in " ".join(buttons) and not [b for b in buttons if "Ask" in b]
    shown = await supervisor.press("View reply contact")  # like a real name: recorded
    assert shown.show_alert and CONTACT in (shown.text or "")
    assert [v.ticket_id for v in await identity_views(app)] == [row.id]
    await accept_on_card(app, supervisor, row.id)
    await resolve_with_reply(
        supervisor,
        "The clerk returned the money and was warned.",
        finding="Substantiated",
        actions=["Ordered to rectify"],
    )

    await deliver(app)
    notice = await clerk.expect(f"Report {code} (12345 hotline) is resolved")
    assert "The clerk returned the money" in notice.content
    assert "Finding: Substantiated" in notice.content
    assert f"Please pass this reply on to: {CONTACT}" in notice.content

    await supervisor.command("stats")
    figures = await supervisor.expect("By source", timeout=10)
    assert "12345 hotline: 1 received" in figures.content

    # Nobody to survey: the ticket closes after the survey window without any rating.
    clock.advance(timedelta(days=8))
    await deliver(app)
    closed = await ticket_by_code(app, code)
    assert (closed.state, closed.satisfaction, closed.satisfaction_default) == (
        "closed",
        None,
        False,
    )
    assert not [m for m in await clerk.messages() if "rate" in m.content]
    await clerk.command("mytickets")  # registered for others, not the clerk's own reports
    mine = await clerk.expect("")
    assert code not in mine.content


async def test_new_without_a_description_is_refused_and_nothing_is_stored(
    app: SnapreportApp, client: EmulatorClient, supervisor: ChatUser
) -> None:
    await prefer_language(app, supervisor)
    await supervisor.command("new")
    await supervisor.expect("Where did it come from?")
    await supervisor.press("Letter")
    await supervisor.expect("Step 2/6")
    await supervisor.send(" ok ")
    await supervisor.expect("The description must be 5–2000 characters; yours has 2")
    await supervisor.send_photo(jpeg_bytes(seed=3))
    await supervisor.expect("A report needs a description")
    await supervisor.command("cancel")
    await supervisor.expect("Cancelled.")
    assert await count_tickets(app) == 0

    # Telegram sends no blank message; a draft that reaches Confirm blank is refused too.
    blank = NewReport(
        submit_key="blank",
        reporter_user_id=supervisor.id,
        category="idle",
        description=" \n ",
        photos=(),
        intake_source="letter",
    )
    async with app.session_factory() as session, session.begin():
        with pytest.raises(ValidationError) as refused:
            await register_report(app.workspace(session), staff_actor(supervisor), blank)
    assert refused.value.code == "description_length"
    assert await count_tickets(app) == 0


async def test_a_citizen_cannot_use_new(app: SnapreportApp, citizen: ChatUser) -> None:
    await citizen.command("new")
    await citizen.expect("This is for department staff only.")
    await citizen.send("The clerk took a bribe at window 3")
    assert await count_tickets(app) == 0
