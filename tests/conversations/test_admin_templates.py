"""Reply templates: administrators keep them with `/templates`; a supervisor resolving,
rejecting or asking is offered those that fit the ticket and sends one with a press, its
placeholders filled from the ticket. A text with an unknown placeholder or a lone brace is
refused and nothing is stored; only administrators, in a private chat, edit templates."""

from __future__ import annotations

import dataclasses

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.reply_templates import SqlReplyTemplates
from tests.conversations.staff import (
    begin_resolving,
    bound_intake_group,
    card_in_state,
    config_changes,
    deliver,
    draft_of,
    open_card,
    prefer_language,
    press_card_button,
    press_data,
    security_events,
    staff_action,
    ticket_row,
)
from tests.conversations.steps import events_of
from tickets.reply_templates import ReplyTemplate
from tickets.reports import submit_report
from tickets.views import TicketView
from ui.reply_templates import TemplatePick

PLACE = "Window 3, City Service Hall"
SEEDED = 8


async def stored(app: SnapreportApp) -> list[ReplyTemplate]:
    async with app.session_factory() as session:
        return await SqlReplyTemplates(session).list_templates()


async def filed(app: SnapreportApp, reporter: ChatUser) -> TicketView:
    """An accepted report about a clerk on their phone, with its place."""
    draft = dataclasses.replace(draft_of(reporter, category="idle"), place_text=PLACE)
    async with app.session_factory() as session, session.begin():
        with app.i18n.context():
            submission = await submit_report(app.workspace(session), draft, per_hour=1000)
    return await staff_action(app, submission.ticket.id, action="accept")


async def add_phone_template(admin: ChatUser, app: SnapreportApp) -> None:
    await admin.command("templates")
    listing = await admin.expect("Reply templates")
    assert "问题已核实处理" in listing.content  # the seeded set
    await admin.press("Add a template")
    await admin.expect("where is it offered?")
    await admin.press("Official reply")
    await admin.expect("Official reply: for reports of which category?")
    await admin.press("Phone or private business at work")
    await admin.expect("For which finding?")
    await admin.press("Substantiated")
    await admin.expect("Its title")
    await admin.send("A title far too long for any button at all")
    await admin.expect("A title is one line of 1–32 characters.")
    await admin.send("Phone use stopped")
    await admin.expect("And its text")
    await admin.send("Dear {name}, case {code} is closed.")
    refused = await admin.expect("Unknown placeholder {name}")
    assert "{code} {category} {place} {department} {date} {finding}" in refused.content
    await admin.send("Case {code: is closed.")
    await admin.expect("A brace is not closed")
    assert len(await stored(app)) == SEEDED  # nothing kept half-way
    await admin.send(
        "Case {code} ({category}) at {place}, filed {date}: {department} found it "
        "{finding}. The clerk was warned. {{ref}}"
    )
    saved = await admin.expect("Saved: Phone use stopped")
    assert "Substantiated" in saved.content


async def test_an_admin_adds_a_template_and_a_supervisor_resolves_with_it(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, citizen: ChatUser
) -> None:
    await prefer_language(app, admin, supervisor, citizen)
    await add_phone_template(admin, app)
    added = (await stored(app))[-1]
    assert (added.purpose, added.category, added.finding) == ("resolve", "idle", "substantiated")
    assert await config_changes(app) == [("template_add", f"#{added.id} Phone use stopped")]

    ticket = await filed(app, citizen)
    await open_card(supervisor, ticket.code)
    await begin_resolving(
        supervisor, finding="Substantiated", actions=["Ordered to rectify"], people="1"
    )
    prompt = await supervisor.last()
    assert prompt is not None
    assert [b.text for b in prompt.inline_buttons] == [
        "📝 Phone use stopped",  # this category's own first, then any category's
        "📝 问题已核实处理",
        "📝 通用答复",
    ]
    await supervisor.press("Phone use stopped")
    filled = (
        f"Case {ticket.code} (Phone or private business at work) at {PLACE}, filed "
        f"{ticket.created_at.astimezone(app.settings.tz).date().isoformat()}: "
        f"{ticket.department_name} found it Substantiated. The clerk was warned. {{ref}}"
    )
    noted = await supervisor.expect("Reply noted")
    assert filled in noted.content
    await supervisor.press("Send reply")
    await supervisor.expect("is resolved; the reply was sent")
    assert (await ticket_row(app, ticket.id)).public_reply == filled

    await deliver(app)
    reply = await citizen.expect(filled)
    assert f"Your report {ticket.code} has been resolved" in reply.content


async def test_templates_are_for_admins_in_private_and_a_retired_one_is_not_offered(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
) -> None:
    await prefer_language(app, admin, supervisor, citizen)
    await supervisor.command("templates")
    await supervisor.expect("Only administrators can do this.")
    assert [e.kind for e in await security_events(app)] == ["not_admin"]
    group = await client.create_group("Supervision office", [admin.id])
    in_group = await admin.in_chat(group.id)
    await in_group.command("templates")
    await in_group.expect("Please send this to me in a private chat")

    asks = [t for t in await stored(app) if t.purpose == "ask"]
    retired, kept = asks
    await admin.command("templates")
    await admin.expect("Reply templates")
    await admin.press(f"Retire #{retired.id}")
    listing = await admin.expect(f"Retired: {retired.title}")
    shown = f"#{retired.id} {retired.title}</b> · Question to the reporter · any category"
    assert shown in (listing.source or "")
    assert await config_changes(app) == [("template_retire", f"#{retired.id} {retired.title}")]

    ticket = await filed(app, citizen)
    await supervisor.press_on(await open_card(supervisor, ticket.code), "Ask reporter")
    prompt = await supervisor.expect("Type your question")
    assert [b.text for b in prompt.inline_buttons] == [f"📝 {kept.title}"]
    # A template pressed after it was retired (a forged or old button) is refused; the
    # step stays for a typed question.
    forged = TemplatePick(ticket_id=ticket.id, template_id=retired.id)
    answer = await press_data(supervisor, forged)
    assert answer.text == "This template is no longer available."
    await supervisor.press(kept.title)
    done = await supervisor.expect("was passed on to the reporter")
    question = f"您好！关于您反映的问题（编号 {ticket.code}），如有现场照片或其他材料，请补充发送"
    assert question in done.content
    asked = [e.text or "" for e in await events_of(app, ticket.id) if e.kind == "ask"]
    assert len(asked) == 1 and question in asked[0]
    answer = await supervisor.press(kept.title)  # the step is over
    assert answer.text == "This button is no longer active."
    await deliver(app)
    await citizen.expect(question)


async def test_in_a_department_group_the_templates_come_below_the_reply_prompt(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
) -> None:
    await prefer_language(app, supervisor, citizen)
    group, _ = await bound_intake_group(app, client, admin, supervisor)
    staff_view = await supervisor.in_chat(group.id)
    ticket = await filed(app, citizen)
    await deliver(app)
    await card_in_state(staff_view, ticket, "accepted")
    await press_card_button(staff_view, ticket.id, "reject")
    prompt = await staff_view.expect(f"Why is {ticket.code} rejected?")
    assert prompt.reply_markup == {"force_reply": True, "selective": True}
    offer = await staff_view.expect("Or press a template")
    assert [b.text for b in offer.inline_buttons] == ["📝 非作风问题", "📝 信息不全"]
    await staff_view.press("非作风问题")
    reason = f"您好！您反映的事项（编号 {ticket.code}）不属于干部作风问题的反映范围"
    done = await staff_view.expect("is rejected; the reporter has been told why")
    assert reason in done.content
    row = await ticket_row(app, ticket.id)
    assert row.state == "rejected" and reason in (row.reject_reason or "")
