"""Commands that need an argument offer the choices as buttons when they get none; a press
does what the typed command does, and is checked for permission the same way."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from handlers.admin import RoutePick
from handlers.deadlines import DeadlinePick
from handlers.status import StatusPick
from storage.models import DeadlinePolicyRow, Department, Invite, RoutingRule
from tests.conftest import make_department
from tests.conversations.staff import new_ticket, prefer_language, security_events
from tests.conversations.steps import file_report


async def forged_press(client: EmulatorClient, user: ChatUser, data: str) -> str | None:
    """Press a button `user` was never shown, on a bot message in their own chat."""
    await user.command("help")
    shown = await user.expect("/")
    answer = await client.press(user.id, user.chat_id, shown.message_id, data)
    return answer.text


async def test_bind_without_a_department_offers_the_departments(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, client: EmulatorClient
) -> None:
    department_id = await make_department(app, "Parks Office")
    group = await client.create_group("Parks office staff", [admin.id, supervisor.id])
    admin_in_group = await admin.in_chat(group.id)
    supervisor_in_group = await supervisor.in_chat(group.id)

    await admin_in_group.command("bind")
    offer = await admin_in_group.expect("Which department's alerts should come to this group?")
    assert "Parks Office" in [b.text for b in offer.inline_buttons]

    refused = await supervisor_in_group.press("Parks Office")
    assert refused.text == "Only administrators can do this."
    await admin_in_group.press("Parks Office")
    await admin_in_group.expect("This group now receives the alerts of Parks Office")
    async with app.session_factory() as session:
        department = await session.get(Department, department_id)
    assert department is not None and department.group_chat_id == group.id
    assert [e.kind for e in await security_events(app)] == ["not_admin"]


async def test_bind_choices_speak_chinese(
    app: SnapreportApp, admin: ChatUser, client: EmulatorClient
) -> None:
    await make_department(app, "园林处")
    await prefer_language(app, admin, language="zh_CN")
    group = await client.create_group("园林处工作群", [admin.id])
    admin_in_group = await admin.in_chat(group.id)

    await admin_in_group.command("bind")
    await admin_in_group.expect("本群接收哪个部门的工单提醒？")
    await admin_in_group.press("园林处")
    await admin_in_group.expect("园林处")


async def test_route_add_without_terms_offers_categories_then_departments(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, client: EmulatorClient
) -> None:
    department_id = await make_department(app, "Vehicle Office")

    await admin.command("route", "add")
    await admin.expect("New rule: reports of which category?")
    await admin.press("Private use of an official car")
    await admin.expect("Reports of Private use of an official car go to which department?")
    await admin.press("Vehicle Office")
    await admin.expect("Rule #")

    async with app.session_factory() as session:
        rules = list(await session.scalars(select(RoutingRule)))
    assert [(r.category, r.department_id) for r in rules] == [("car", department_id)]
    forged = RoutePick(category="idle", department_id=department_id).pack()
    assert await forged_press(client, supervisor, forged) == "Only administrators can do this."
    async with app.session_factory() as session:
        assert len(list(await session.scalars(select(RoutingRule)))) == 1


async def test_deadline_offers_categories_then_day_pairs(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, client: EmulatorClient
) -> None:
    await admin.command("deadline")
    table = await admin.expect("Deadlines")
    assert "Asking for favours or gifts" in [b.text for b in table.inline_buttons]
    await admin.press("Asking for favours or gifts")
    await admin.expect("Asking for favours or gifts: working days to accept / to resolve?")
    await admin.press("2 / 10")
    await admin.expect("accept within 2 and resolve within 10 working days")

    await admin.command("deadline", "car")
    await admin.expect("working days to accept / to resolve?")
    forged = DeadlinePick(category="car", accept=1, resolve=3).pack()
    assert await forged_press(client, supervisor, forged) == "Only administrators can do this."
    async with app.session_factory() as session:
        rows = {r.category: r for r in await session.scalars(select(DeadlinePolicyRow))}
    assert set(rows) == {"extortion"}
    assert (rows["extortion"].accept_days, rows["extortion"].resolve_days) == (2, 10)


async def test_dept_invite_offers_departments_then_roles(
    app: SnapreportApp, admin: ChatUser
) -> None:
    department_id = await make_department(app, "Parks Office")

    await admin.command("dept", "invite")
    await admin.expect("Invite someone to which department?")
    await admin.press("Parks Office")
    await admin.expect("Invite to Parks Office as what?")
    await admin.press("Invite handler")
    link = await admin.expect("Invite to Parks Office as handler")
    assert "start=inv_" in link.content

    await admin.command("dept", f"invite {department_id}")
    await admin.expect("Invite to Parks Office as what?")
    async with app.session_factory() as session:
        invites = list(
            await session.scalars(select(Invite).where(col(Invite.department_id) == department_id))
        )
    assert [i.role for i in invites] == ["handler"]


async def test_status_without_a_code_offers_ones_own_tickets(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    code = await file_report(citizen)
    stranger = await client.chat_user(first_name="Stranger", language_code="en")
    ticket = await new_ticket(app, citizen)

    await citizen.command("status")
    offer = await citizen.expect("Which report?")
    assert [b.text.split(" · ")[0] for b in offer.inline_buttons] == [ticket.code, code]
    await citizen.press(code)
    status = await citizen.expect("Status: New")
    assert code in status.content

    await stranger.command("status")
    await stranger.expect("followed by your tracking code")
    forged = StatusPick(ticket_id=ticket.id).pack()
    assert await forged_press(client, stranger, forged) == "You are not allowed to do this."
    await stranger.expect_nothing()


async def test_status_without_a_code_in_a_group_lists_nothing(
    citizen: ChatUser, client: EmulatorClient
) -> None:
    await file_report(citizen)
    group = await client.create_group("Neighbourhood", [citizen.id])
    in_group = await citizen.in_chat(group.id)

    await in_group.command("status")

    answer = await in_group.expect("followed by your tracking code")
    assert not answer.inline_buttons
