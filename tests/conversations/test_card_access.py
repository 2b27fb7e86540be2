"""Cards follow access: a chat that loses a ticket (转办, a removed member, an unbound group)
sees its card replaced once by a neutral line without buttons, and nothing of it after."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from emulator.views import ChatMessage
from tests.conftest import ADMIN_ID, make_department
from tests.conversations.staff import (
    accept_on_card,
    add_member,
    bound_intake_group,
    car_report_beside_vehicle_office,
    deliver,
    intake_id,
    new_ticket,
    outbox,
    prefer_language,
    press_card_button,
    staff_action,
    staff_member,
    staff_user,
)
from tests.factories import report_draft
from tickets.actors import Actor
from tickets.reports import submit_report
from tickets.states import Action
from tickets.workflow import StaffCommand, perform

GONE_EN = "this ticket has moved to another department or you no longer have access to it."
GONE_ZH = "此工单已转至其他部门或您已无权查看。"


def assert_taken_back(message: ChatMessage, card: ChatMessage, line: str) -> None:
    """The card itself, edited to the neutral line: only the code, no buttons."""
    assert message.message_id == card.message_id
    assert message.content == line
    assert message.inline_buttons == []


async def edits_to(app: SnapreportApp, ticket_id: int, chat_id: int) -> list[str]:
    """What the chat's copy of the card was edited for: once taken back, it is forgotten."""
    rows = await outbox(app, ticket_id=ticket_id)
    return [r.purpose for r in rows if r.chat_id == chat_id and r.method == "editMessageText"]


async def test_routing_takes_the_card_back_from_the_old_department(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    _, fang, ticket = await car_report_beside_vehicle_office(app, client, supervisor, citizen)
    card = await supervisor.expect(f"{ticket.code} · New")
    await press_card_button(supervisor, ticket.id, "route")
    await supervisor.press("Vehicle Office")
    await deliver(app)
    gone = await supervisor.expect(GONE_EN)
    assert_taken_back(gone, card, f"🔒 {ticket.code}: {GONE_EN}")
    await fang.expect(f"{ticket.code} · New")
    await accept_on_card(app, fang, ticket.id)
    await supervisor.expect_nothing()
    assert await edits_to(app, ticket.id, supervisor.id) == ["card_revoked"]


async def test_a_card_still_queued_for_the_old_department_is_never_sent(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    vehicle = await make_department(app, "Vehicle Office")
    fang = await staff_member(app, client, "Fang", vehicle)
    await prefer_language(app, supervisor, fang)
    draft = report_draft(reporter_user_id=citizen.id, latitude=31.23, longitude=121.47)
    # Filed and routed before the outbox sent anything (say, it was held up).
    async with app.session_factory() as session, session.begin():
        ws = app.workspace(session)
        with app.i18n.context():
            ticket = (await submit_report(ws, draft, per_hour=1000)).ticket
            route = StaffCommand(ticket.id, Action.ROUTE, target_department_id=vehicle)
            await perform(ws, Actor(user_id=ADMIN_ID, is_admin=True), route)
    await deliver(app)
    await fang.expect(f"{ticket.code} · New")
    await supervisor.expect_nothing()
    assert [r for r in await outbox(app, ticket_id=ticket.id) if r.chat_id == supervisor.id] == []


async def test_a_removed_member_keeps_no_card(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
) -> None:
    li = await staff_user(client, "Li")  # no language chosen: the default, Chinese
    li_member = await add_member(app, li, await intake_id(app))
    await prefer_language(app, supervisor, citizen)
    ticket = await new_ticket(app, citizen)
    await deliver(app)
    card = await li.expect(ticket.code)
    await supervisor.expect(f"{ticket.code} · New")
    await admin.command("dept", f"remove {li_member}")
    await admin.expect("Li is no longer a member.")
    await deliver(app)
    gone = await li.expect(GONE_ZH)
    assert_taken_back(gone, card, f"🔒 {ticket.code}：{GONE_ZH}")
    await accept_on_card(app, supervisor, ticket.id)
    await li.expect_nothing()
    assert await edits_to(app, ticket.id, li.id) == ["card_revoked"]


async def test_an_unbound_group_keeps_no_card(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
) -> None:
    group, in_group = await bound_intake_group(app, client, admin, supervisor)
    ticket = await new_ticket(app, citizen)
    await deliver(app)
    card = await in_group.expect(ticket.code)
    # The card is taken back on commit, the answer is said after it: read them apart.
    staff_view = await supervisor.in_chat(group.id)
    await in_group.command("unbind")
    await in_group.expect("go to their supervisors again")
    await deliver(app)
    gone = await staff_view.expect(GONE_ZH)
    assert_taken_back(gone, card, f"🔒 {ticket.code}：{GONE_ZH}")
    await staff_view.catch_up()
    await staff_action(app, ticket.id, action="accept")
    await deliver(app)
    await staff_view.expect_nothing()
    assert await edits_to(app, ticket.id, group.id) == ["card_revoked"]
