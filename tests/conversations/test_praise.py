"""Praise (表扬): a citizen praises a unit from the /start button; the unit's supervisor
reads an informational notice (no buttons, nobody named), no ticket is made, and /stats
counts one praise. Too short a description, a name matching no unit, a forged unit button
and a unit archived before Confirm are refused with nothing stored."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from handlers.praise import PraiseNav
from storage.models import Department, Praise, PraisePhoto
from tests.conversations.staff import (
    deliver,
    leaks,
    prefer_language,
    press_data,
    staff_member,
)
from tests.conversations.steps import count_tickets, draft_data, fsm_records, reporter_of
from tests.factories import add_department, rows_of
from tests.imagefactory import jpeg_bytes

PRAISE = "The clerk at window 2 explained every form patiently and stayed late for me"


async def praises(app: SnapreportApp) -> list[Praise]:
    return await rows_of(app.session_factory, Praise)


async def tax_office(app: SnapreportApp, client: EmulatorClient) -> tuple[int, ChatUser]:
    tax = await add_department(app.session_factory, "Tax Office")
    await add_department(app.session_factory, "Traffic Police")
    chief = await staff_member(app, client, "Chief", tax)
    return tax, chief


async def choose_tax_office(citizen: ChatUser) -> None:
    await citizen.expect("Which unit do you want to praise?")
    await citizen.send("tax")  # typing narrows the list
    await citizen.expect("Units matching “tax”")
    await citizen.press("Tax Office")
    await citizen.expect("Step 2/3")


async def test_praise_reaches_the_unit_counts_in_stats_and_files_no_ticket(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser
) -> None:
    tax, chief = await tax_office(app, client)
    await prefer_language(app, citizen, chief)
    await citizen.command("start")
    await citizen.expect("/praise")
    await citizen.press("Praise good service")
    await choose_tax_office(citizen)
    await citizen.send(PRAISE)
    await citizen.expect("Step 3/3")
    await citizen.send_photo(jpeg_bytes(seed=11))
    await citizen.expect("Received: 1 photo")
    await citizen.press("Done")
    preview = await citizen.expect("Please check your praise")
    assert "Unit praised: Tax Office" in preview.content and PRAISE in preview.content
    await citizen.press("Confirm")
    thanks = await citizen.expect("Your praise has been passed on to Tax Office")
    assert "SR-" not in thanks.content  # nothing to track

    [stored] = await praises(app)
    reporter = await reporter_of(app, citizen.id)
    assert reporter is not None
    assert (stored.department_id, stored.reporter_id, stored.description) == (
        tax,
        reporter.id,
        PRAISE,
    )
    assert str(citizen.id) not in stored.submit_key  # only its keyed hash is kept
    async with app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(PraisePhoto)) == 1
    assert await count_tickets(app) == 0
    assert all(not record.data for record in await fsm_records(app, citizen.id))

    await deliver(app)
    await chief.expect("Photos with a praise for Tax Office")
    notice = await chief.expect("Praise for Tax Office")
    assert PRAISE in notice.content and "needs no action" in notice.content
    assert not notice.inline_buttons
    assert not leaks([m.content for m in await chief.messages()], citizen)

    await chief.command("stats")
    figures = await chief.expect("Statistics · ", timeout=10)
    assert "🌸 Praise received: 1" in figures.content
    assert "Received: 0" in figures.content  # tickets: none


async def test_bad_praise_is_refused_and_nothing_is_stored(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser
) -> None:
    tax, chief = await tax_office(app, client)
    await prefer_language(app, citizen)
    await citizen.command("praise")
    await citizen.expect("Which unit do you want to praise?")
    await citizen.send("Ministry of Magic")
    await citizen.expect("No unit matches “Ministry of Magic”")
    draft = (await draft_data(app, citizen.id))["draft_id"]
    forged = await press_data(citizen, PraiseNav(draft=draft, action="unit", value="99999"))
    assert "no longer active" in (forged.text or "")
    assert "unit_id" not in await draft_data(app, citizen.id)

    await choose_tax_office(citizen)
    await citizen.send("ok")
    await citizen.expect("The description must be 5–2000 characters; yours has 2.")
    await citizen.send(PRAISE)
    await citizen.expect("Step 3/3")
    await citizen.press("No photos")
    await citizen.expect("Please check your praise")

    async with app.session_factory() as session, session.begin():  # archived meanwhile
        await session.execute(
            update(Department).where(col(Department.id) == tax).values(archived=True)
        )
    refused = await citizen.press("Confirm")
    assert refused.show_alert and "not in the directory" in (refused.text or "")
    assert await praises(app) == []
    assert (await draft_data(app, citizen.id))["unit_id"] == tax  # the draft stays
    await deliver(app)
    await chief.expect_nothing()
