"""Routing rules managed in chat send reports by place tag and by category; a bound group
chat receives its department's alerts."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.staff import (
    create_department,
    intake_id,
    new_ticket,
    outbox,
)
from tests.conversations.steps import (
    begin_with_photo,
    file_at_the_offered_place,
    file_from_photos,
    ticket_by_code,
)


async def test_routing_by_place_tag(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    hall = await create_department(admin, "Service Hall")
    await admin.command("route", "tag hall_01 City service hall, ground floor")
    tagged = await admin.expect("Place tag hall_01 registered")
    assert "start=hall_01" in tagged.content
    await admin.command("route", f"add {hall} tag=hall_01")
    await admin.expect("→ Service Hall")

    await citizen.start("hall_01")
    await citizen.expect("City service hall, ground floor")
    await begin_with_photo(citizen)
    code = await file_at_the_offered_place(citizen, "City service hall")
    ticket = await ticket_by_code(app, code)
    assert (ticket.source_tag, ticket.department_id) == ("hall_01", hall)


async def test_routing_by_category_and_rule_management(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> None:
    office = await create_department(admin, "Discipline Office")
    await admin.command("route", f"add {office} category=idle priority=2")
    await admin.expect("Rule #1: Phone or private business at work → Discipline Office")
    await admin.command("route", f"add {office} category=spaceships")
    await admin.expect("Please choose a category")
    await admin.command("route", f"add {office}")
    await admin.expect("/route add DEPT")
    await admin.command("route", f"add {office} tag=nowhere")
    await admin.expect("No place tag nowhere")

    await begin_with_photo(citizen)
    code = await file_from_photos(citizen)  # "Phone or private business at work"
    assert (await ticket_by_code(app, code)).department_id == office

    await admin.command("route", "list")
    await admin.expect("#1 Phone or private business at work → Discipline Office · p2")
    await admin.command("route", "del 1")
    await admin.expect("Rule #1 removed")
    other = await new_ticket(app, citizen, category="idle")
    assert other.department_id == await intake_id(app)


async def test_alerts_of_a_department_with_a_bound_group_go_to_the_group(
    app: SnapreportApp, admin: ChatUser, supervisor: ChatUser, client: EmulatorClient
) -> None:
    cars = await create_department(admin, "Vehicle Office")
    await admin.command("route", f"add {cars} category=car")
    await admin.expect("Rule #")
    group = await client.create_group("Vehicle office", [admin.id])
    in_group = await admin.in_chat(group.id)
    await in_group.command("bind", "Vehicle Office")
    await in_group.expect("now receives the alerts of Vehicle Office")

    ticket = await new_ticket(app, supervisor, category="car")
    cards = [r for r in await outbox(app, ticket_id=ticket.id) if r.purpose == "card"]
    assert [r.chat_id for r in cards] == [group.id]
    unrouted = await new_ticket(app, supervisor, category="rude")
    cards = [r for r in await outbox(app, ticket_id=unrouted.id) if r.purpose == "card"]
    assert [r.chat_id for r in cards] == [supervisor.id]  # the intake department's supervisor
