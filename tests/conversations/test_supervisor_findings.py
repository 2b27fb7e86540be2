"""Resolving records a finding: 查实 with the actions taken and the people concerned, chosen
with buttons before the reply; the reporter reads the finding, never a name, and `/stats`
counts 查处 X 件、处理 Y 人. A substantiated finding without an action is refused."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    add_member,
    deliver,
    intake_id,
    new_ticket,
    open_card,
    outbox,
    resolve_with_reply,
    staff_action,
    ticket_row,
)
from tests.conversations.steps import events_of


async def test_substantiated_resolution_reaches_the_reporter_and_the_stats(
    app: SnapreportApp, supervisor: ChatUser, citizen_zh: ChatUser, client: EmulatorClient
) -> None:
    ticket = await new_ticket(app, citizen_zh)
    await staff_action(app, ticket.id, action="accept")
    await open_card(supervisor, ticket.code)
    await resolve_with_reply(
        supervisor,
        "The clerk was warned and the window is staffed again.",
        finding="Substantiated",
        actions=["Ordered to rectify"],
        people="2",
        sent="is resolved; the reply was sent",
    )

    row = await ticket_row(app, ticket.id)
    assert (row.state, row.finding, row.finding_actions, row.people_concerned) == (
        "resolved",
        "substantiated",
        ["rectify"],
        2,
    )
    resolve = next(e for e in await events_of(app, ticket.id) if e.kind == "resolve")
    assert resolve.payload == {"finding": "substantiated", "actions": ["rectify"], "people": 2}

    await deliver(app)
    reply = await citizen_zh.expect(f"{ticket.code} 已办结")
    assert "核查结果：查实" in reply.content and "处理措施：责令整改" in reply.content
    assert "The clerk was warned" in reply.content
    assert "Sup" not in reply.content  # nobody is named, not even the one who resolved
    await citizen_zh.command("status", ticket.code)
    await citizen_zh.expect("核查结果：查实")

    colleague = await client.chat_user(first_name="李", language_code="zh-hans")
    await add_member(app, colleague, await intake_id(app))
    await colleague.command("stats")
    summary = await colleague.expect("查处 1 件、处理 2 人", timeout=10)
    assert "查实率 100%（1/1 件）" in summary.content


async def test_a_substantiated_finding_without_an_action_is_refused(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    await supervisor.press_on(await open_card(supervisor, ticket.code), "Resolve")
    await supervisor.expect("What did the check find?")
    await supervisor.press("Partly substantiated")
    await supervisor.expect("Which actions were taken?")
    answer = await supervisor.press("Done")
    assert answer.show_alert
    assert answer.text == (
        "A substantiated finding needs at least one action taken: choose one, then Done."
    )
    row = await ticket_row(app, ticket.id)
    assert (row.state, row.finding, row.people_concerned) == ("accepted", None, None)
    assert "resolve" not in [e.kind for e in await events_of(app, ticket.id)]
    reporter_rows = [r.purpose for r in await outbox(app, ticket_id=ticket.id)]
    assert "reporter:resolved" not in reporter_rows

    # The step is kept: choose an action, then type a number of people.
    await supervisor.press("Admonishment talk")
    await supervisor.press("Done")
    await supervisor.expect("How many people are concerned?")
    await supervisor.press("More…")
    await supervisor.expect("Type the number of people concerned")
    await supervisor.send("none")
    await supervisor.expect("Type a whole number of people from 1 to 999.")
    await supervisor.send("12")
    await supervisor.expect("People concerned: 12")
    await supervisor.expect("Type the official reply")
