"""A report names the unit it is about (被反映单位): it goes to that unit's supervising
office, which keeps it in view when it hands the case down; the unit never sees who
reported nor the exchanges with them."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.directory import SqlDirectory
from tests.conversations.staff import (
    deliver,
    intake_id,
    outbox,
    prefer_language,
    staff_action,
    staff_member,
    ticket_row,
)
from tests.conversations.steps import (
    begin_with_photo,
    confirm,
    describe,
    skip_place,
    stay_anonymous,
    ticket_by_code,
)
from tests.conversations.test_stats_export import exported
from tests.factories import add_department, report_draft
from tickets.casework import answer_question
from tickets.reports import submit_report
from tickets.views import TicketView


def every_cell(xlsx: bytes) -> str:
    """Every cell of every sheet of a workbook, as one text."""
    book = load_workbook(io.BytesIO(xlsx), read_only=True)
    text = "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )
    book.close()
    return text


async def filed_about(app: SnapreportApp, reporter: ChatUser, unit_id: int) -> TicketView:
    """A real-name report about `unit_id`, filed as Confirm would."""
    draft = report_draft(
        submit_key=f"accused:{unit_id}:{reporter.id}",
        reporter_user_id=reporter.id,
        anonymous=False,
        real_name="Wei Zhang",
        phone=reporter.phone_number,
        accused_department_id=unit_id,
    )
    async with app.session_factory() as session, session.begin():
        with app.i18n.context():
            return (await submit_report(app.workspace(session), draft, per_hour=100)).ticket


async def office_over_unit(
    app: SnapreportApp, client: EmulatorClient
) -> tuple[int, int, ChatUser, ChatUser]:
    """City Office over Transport Bureau, with Chen a member of the office and Li of the
    unit: (city, transport, office, unit)."""
    city = await add_department(app.session_factory, "City Office")
    transport = await add_department(app.session_factory, "Transport Bureau", parent_id=city)
    office = await staff_member(app, client, "Chen", city)
    return city, transport, office, await staff_member(app, client, "Li", transport)


async def hand_down_and_hear_back(
    app: SnapreportApp, ticket_id: int, unit_id: int, reporter: ChatUser
) -> None:
    """Route the ticket to the unit, ask its reporter a question and let them answer it."""
    await staff_action(app, ticket_id, action="route", target_department_id=unit_id)
    await staff_action(app, ticket_id, action="ask", text="Which bus line was it?")
    async with app.session_factory() as session, session.begin():
        with app.i18n.context():
            await answer_question(
                app.workspace(session),
                ticket_id=ticket_id,
                reporter_user_id=reporter.id,
                text="Line 12, at noon",
                photo_file_id=None,
            )


async def test_a_report_about_a_unit_found_by_typing_goes_to_its_parent(
    app: SnapreportApp, client: EmulatorClient, admin: ChatUser, citizen: ChatUser
) -> None:
    city = await add_department(app.session_factory, "City Office")
    await add_department(app.session_factory, "Transport Bureau")
    await add_department(app.session_factory, "Tax Bureau")
    office = await staff_member(app, client, "Chen", city)
    await prefer_language(app, office, admin)
    await admin.command("dept", 'parent "Transport Bureau" "City Office"')
    await admin.expect("Reports about Transport Bureau now go to City Office")

    await begin_with_photo(citizen)
    await describe(citizen)
    await citizen.press("Improper dining")
    await citizen.expect("Which unit is the report about?")
    await citizen.send("transp")
    panel = await citizen.expect("Units matching “transp”")
    assert [b.text for b in panel.inline_buttons if "Bureau" in b.text] == ["Transport Bureau"]
    await citizen.press("Transport Bureau")
    await citizen.expect("Step 4/5")
    await skip_place(citizen)
    preview = await stay_anonymous(citizen)
    assert "Unit reported: Transport Bureau" in preview.content
    code = await confirm(citizen)

    ticket = await ticket_by_code(app, code)
    assert ticket.department_id == city
    await deliver(app)
    card = await office.expect("Unit reported: Transport Bureau")
    assert "Reporter: anonymous" in card.content


async def test_delegated_to_the_unit_its_members_see_no_reporter_and_no_relay(
    app: SnapreportApp, client: EmulatorClient, admin: ChatUser, citizen: ChatUser
) -> None:
    city, transport, office, unit = await office_over_unit(app, client)
    await prefer_language(app, office, unit, citizen)
    ticket = await filed_about(app, citizen, transport)
    assert ticket.department_id == city
    await deliver(app)
    await office.expect("View real-name info")

    await hand_down_and_hear_back(app, ticket.id, transport, citizen)
    await deliver(app)

    card = await unit.expect("Unit reported: Transport Bureau")
    assert "Reporter: withheld from the unit reported" in card.content
    labels = [b.text for b in card.inline_buttons]
    assert "✅ Accept" in labels
    assert not [t for t in labels if "Ask reporter" in t or "real-name" in t]
    await office.expect("Line 12, at noon")  # the supervising office keeps hearing
    rows = await outbox(app, ticket_id=ticket.id)
    to_unit = [str(r.payload) for r in rows if r.chat_id == unit.id]
    assert to_unit and not [p for p in to_unit if "Line 12" in p or "bus line" in p]
    assert not [p for p in to_unit if "Wei" in p or citizen.phone_number in p]
    assert (await ticket_row(app, ticket.id)).department_id == transport
    # The office still holds a live card and may act: accepting on the unit's behalf.
    await staff_action(app, ticket.id, action="accept")
    await deliver(app)
    edited = await office.expect("Accepted")
    assert "withdrawn" not in edited.content.lower()

    # Nor in an export: the unit's event log has no answer, no question to the reporter.
    unit_xlsx, _ = await exported(unit)
    unit_text = every_cell(await unit.download(unit_xlsx))
    assert ticket.code in unit_text
    assert "Line 12" not in unit_text and "bus line" not in unit_text
    admin_xlsx, _ = await exported(admin)  # the administrators' export keeps them
    admin_text = every_cell(await admin.download(admin_xlsx))
    assert "Line 12" in admin_text and "bus line" in admin_text
    # The office that handed the case down keeps it in its own export, words included.
    office_xlsx, _ = await exported(office)
    office_text = every_cell(await office.download(office_xlsx))
    assert ticket.code in office_text
    assert "Line 12" in office_text and "bus line" in office_text


async def test_a_report_about_the_intake_itself_goes_to_its_supervising_office(
    app: SnapreportApp, citizen: ChatUser
) -> None:
    intake = await intake_id(app)
    council = await add_department(app.session_factory, "Council")
    async with app.session_factory() as session, session.begin():
        await SqlDirectory(session).set_parent(department_id=intake, parent_id=council)

    ticket = await filed_about(app, citizen, intake)

    assert ticket.department_id == council
    assert ticket.accused_department_name is not None
