"""Who sees a real-name reporter: never a card or a group chat; on request, in a private
chat, the ticket's own department or an administrator, each look audited (`/audit CODE`)."""

from __future__ import annotations

from bot.app import SnapreportApp
from config.logs import user_hash
from emulator.client import ChatUser, EmulatorClient
from storage.models import Department
from tests.conftest import make_department
from tests.conversations.staff import (
    deliver,
    dump,
    identity_views,
    intake_id,
    leaks,
    new_ticket,
    open_card,
    press_data,
    security_events,
    staff_member,
)
from ui.keyboards import RevealIdentity

VIEW = "View real-name info"


async def test_group_card_says_real_name_only_and_its_button_refuses_there(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    group = await client.create_group("Intake staff", [supervisor.id])
    async with app.session_factory() as session, session.begin():
        intake = await session.get(Department, await intake_id(app))
        assert intake is not None
        intake.group_chat_id = group.id
    in_group = await supervisor.in_chat(group.id)
    ticket = await new_ticket(app, citizen, real_name=True)
    await deliver(app)

    card = await in_group.expect("实名（点击“查看实名信息”查看）")  # a group speaks Chinese
    assert "🔐 查看实名信息" in [b.text for b in card.inline_buttons]
    assert leaks([dump(m.model_dump()) for m in await in_group.messages()], citizen) == []

    answer = await in_group.press("查看实名信息")
    assert answer.show_alert and "only in a private chat" in (answer.text or "")
    assert leaks([answer.text or ""], citizen) == []
    assert [e.kind for e in await security_events(app)] == ["identity_private_only"]
    assert await identity_views(app) == []
    assert ticket.code in card.content


async def test_the_departments_supervisor_sees_it_in_private_and_admin_audits_it(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, admin: ChatUser
) -> None:
    ticket = await new_ticket(app, citizen, real_name=True)
    card = await open_card(supervisor, ticket.code)
    assert "Reporter: real name (press “View real-name info”)" in card.content
    assert leaks([card.content], citizen) == []

    answer = await supervisor.press(VIEW)
    assert answer.show_alert and len(answer.text or "") <= 200
    assert f"Wei Zhang\nPhone: {citizen.phone_number}" in (answer.text or "")
    [view] = await identity_views(app)
    assert view.ticket_id == ticket.id and view.member_id is not None
    assert view.viewer_hash == user_hash(supervisor.id) and str(supervisor.id) not in dump(view)
    # An alert is no message: the chat keeps nothing of the identity.
    assert leaks([dump(m.model_dump()) for m in await supervisor.messages()], citizen) == []

    await admin.command("audit", ticket.code)
    audit = await admin.expect(f"Identity views of {ticket.code}")
    assert "Sup · supervisor" in audit.content and view.viewer_hash in audit.content
    await supervisor.command("audit", ticket.code)
    await supervisor.expect("Only administrators can do this.")


async def test_another_departments_supervisor_is_refused_and_logged(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    parks = await staff_member(app, client, "Parker", await make_department(app, "Parks Office"))
    ticket = await new_ticket(app, citizen, real_name=True)  # the intake department's

    await parks.command("help")
    await parks.expect("/queue")
    answer = await press_data(parks, RevealIdentity(ticket_id=ticket.id))
    assert answer.show_alert and answer.text == "This ticket belongs to another department."
    assert [e.kind for e in await security_events(app)] == ["not_your_department"]
    assert await identity_views(app) == []


async def test_ticket_commands_in_a_group_point_to_the_private_chat(
    app: SnapreportApp,
    supervisor: ChatUser,
    admin: ChatUser,
    client: EmulatorClient,
    citizen: ChatUser,
) -> None:
    ticket = await new_ticket(app, citizen, real_name=True)
    group = await client.create_group("Intake staff", [supervisor.id, admin.id])
    for user, command, args in [
        (supervisor, "ticket", ticket.code),
        (supervisor, "find", "idle"),
        (admin, "export", "identity"),
        (admin, "audit", ticket.code),
    ]:
        in_group = await user.in_chat(group.id)
        await in_group.command(command, args)
        note = await in_group.expect("in a private chat")
        assert ticket.code not in note.content and leaks([note.content], citizen) == []
    await in_group.expect_nothing()
    said = [m.content for m in await client.transcript(group.id) if m.from_bot]
    assert len(said) == 4 and all("in a private chat" in text for text in said)


async def test_staff_and_admin_commands_in_a_group_create_nothing_and_point_to_the_private_chat(
    app: SnapreportApp, supervisor: ChatUser, admin: ChatUser, client: EmulatorClient
) -> None:
    """An invite link posted in a group would let anyone there join the department."""
    group = await client.create_group("Intake staff", [supervisor.id, admin.id])
    typed = [
        (admin, "dept", "invite 1"),
        (admin, "dept", "members 1"),
        (admin, "route", "list"),
        (admin, "dead", ""),
        (admin, "deadline", ""),
        (supervisor, "new", ""),
    ]
    for user, command, args in typed:
        in_group = await user.in_chat(group.id)
        await in_group.command(command, args)
        await in_group.expect("in a private chat")
    await in_group.expect_nothing()
    said = [m.content for m in await client.transcript(group.id) if m.from_bot]
    assert len(said) == len(typed) and all("in a private chat" in text for text in said)
    assert not any("start=inv_" in text for text in said)
