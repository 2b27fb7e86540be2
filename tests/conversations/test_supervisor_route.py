"""转办: the intake department's supervisor routes an unmatched report by hand."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from handlers.supervisor import RouteTo
from storage.models import Department
from tests.conftest import make_department
from tests.conversations.staff import (
    car_report_beside_vehicle_office,
    deliver,
    new_ticket,
    prefer_language,
    press_card_button,
    press_data,
    security_events,
    staff_member,
    ticket_row,
)
from ui.keyboards import TicketAction


async def test_intake_supervisor_routes_a_ticket_and_the_new_department_is_alerted(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    vehicle, fang, ticket = await car_report_beside_vehicle_office(
        app, client, supervisor, citizen
    )
    await supervisor.expect(f"{ticket.code} · New")
    await press_card_button(supervisor, ticket.id, "route")
    answer = await supervisor.press("Vehicle Office")
    assert answer.text == f"🔀 {ticket.code} is routed to Vehicle Office."
    assert (await ticket_row(app, ticket.id)).department_id == vehicle
    await deliver(app)
    card = await fang.expect(f"{ticket.code} · New")
    assert "Vehicle Office" in card.content


async def test_a_supervisor_of_another_department_cannot_route(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, client: EmulatorClient
) -> None:
    vehicle = await make_department(app, "Vehicle Office")
    nosy = await staff_member(app, client, "Nosy", vehicle)
    ticket = await new_ticket(app, citizen)
    await nosy.command("help")
    await nosy.expect("/queue")
    forged = TicketAction(ticket_id=ticket.id, action="route", state="new")
    answer = await press_data(nosy, forged)
    assert answer.show_alert
    assert (await ticket_row(app, ticket.id)).department_id != vehicle


async def test_a_forged_route_to_an_archived_department_is_refused_and_logged(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser
) -> None:
    old = await make_department(app, "Old Office")
    async with app.session_factory() as session, session.begin():
        department = await session.get(Department, old)
        assert department is not None
        department.archived = True
    ticket = await new_ticket(app, citizen)
    await prefer_language(app, supervisor)
    await supervisor.command("help")
    await supervisor.expect("/queue")

    forged = RouteTo(ticket_id=ticket.id, department_id=old, state="new")
    answer = await press_data(supervisor, forged)

    assert answer.show_alert and answer.text == "The department Old Office is archived."
    assert (await ticket_row(app, ticket.id)).department_id != old
    [event] = await security_events(app)
    assert event.kind == "department_archived" and f"ticket {ticket.id}" in event.detail
