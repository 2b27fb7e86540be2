"""`/mytickets` lists one's own tickets, newest first, and takes more material (补充材料)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from handlers.status import Supplement
from storage.models import OutboxMessage, Ticket
from tests.conversations.steps import events_of, file_report, fsm_records, ticket_by_code
from tests.factories import photo_ref, report_draft
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock
from tickets.reports import submit_report


async def seed_ticket(app: SnapreportApp, user_id: int, number: int) -> str:
    """File a report through the service itself (no chat): for lists longer than a page."""
    draft = report_draft(
        submit_key=f"seed:{user_id}:{number}",
        reporter_user_id=user_id,
        category="other",
        description=f"Seeded report number {number}",
        photos=(photo_ref(),),
    )
    with app.i18n.context():
        async with app.session_factory() as session, session.begin():
            ws = app.workspace(session)
            return (await submit_report(ws, draft, per_hour=1000)).ticket.code


async def file_and_begin_a_supplement(citizen: ChatUser) -> str:
    """File a report, then press its "Add material" button under /mytickets."""
    code = await file_report(citizen)
    await citizen.command("mytickets")
    await citizen.expect("Your reports")
    await citizen.press("Add material to " + code)
    await citizen.expect("Send a photo or a text to add to " + code)
    return code


async def test_mytickets_lists_newest_first(
    citizen: ChatUser, app: SnapreportApp, clock: ManualClock
) -> None:
    first = await file_report(citizen, seed=1, description="First: the gate was left open")
    clock.advance(timedelta(minutes=5))
    second = await file_report(citizen, seed=2, description="Second: nobody at the counter")

    await citizen.command("mytickets")

    listing = await citizen.expect("Your reports")
    assert listing.content.index(second) < listing.content.index(first)


async def test_mytickets_shows_only_ones_own_tickets(
    citizen: ChatUser, client: EmulatorClient, app: SnapreportApp
) -> None:
    mine = await file_report(citizen)
    other = await client.chat_user(first_name="Li", language_code="en")
    theirs = await seed_ticket(app, other.id, 1)

    await citizen.command("mytickets")

    listing = await citizen.expect("Your reports")
    assert mine in listing.content and theirs not in listing.content


async def test_mytickets_pages_through_older_tickets(
    citizen: ChatUser, app: SnapreportApp, clock: ManualClock
) -> None:
    codes = []
    for number in range(7):
        codes.append(await seed_ticket(app, citizen.id, number))
        clock.advance(timedelta(minutes=1))
    newest_first = codes[::-1]

    await citizen.command("mytickets")
    page = await citizen.expect("Your reports")
    assert [c for c in newest_first if c in page.content] == newest_first[:5]
    await citizen.press("Older")
    page = await citizen.expect("Your reports")
    assert [c for c in newest_first if c in page.content] == newest_first[5:]
    await citizen.press("Newer")
    page = await citizen.expect("Your reports")
    assert [c for c in newest_first if c in page.content] == newest_first[:5]


async def test_mytickets_with_no_reports_says_how_to_start(citizen: ChatUser) -> None:
    await citizen.command("mytickets")

    await citizen.expect("You have no reports yet")


async def test_supplement_text_adds_an_event_and_tells_the_department(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_and_begin_a_supplement(citizen)
    await citizen.send("He was back at 11:40, <b>laughing</b> about it")
    await citizen.expect("Added to " + code)

    ticket = await ticket_by_code(app, code)
    events = await events_of(app, ticket.id)
    assert [e.kind for e in events] == ["submitted", "supplement"]
    assert events[1].text == "He was back at 11:40, <b>laughing</b> about it"
    async with app.session_factory() as session:
        notices = list(
            await session.scalars(
                select(OutboxMessage).where(
                    col(OutboxMessage.ticket_id) == ticket.id,
                    col(OutboxMessage.idempotency_key).contains(":supplement:"),
                )
            )
        )
    assert notices, "the department is told"
    assert "&lt;b&gt;laughing" in notices[0].payload["text"]  # stored as text, rendered escaped


async def test_supplement_photo_adds_an_event(citizen: ChatUser, app: SnapreportApp) -> None:
    code = await file_and_begin_a_supplement(citizen)

    await citizen.send_photo(jpeg_bytes(seed=40), caption="From the other side")
    await citizen.expect("Added to " + code)

    events = await events_of(app, (await ticket_by_code(app, code)).id)
    assert events[-1].kind == "supplement"
    assert events[-1].text == "From the other side" and events[-1].payload.get("photo")


async def test_supplement_to_someone_elses_ticket_is_refused(
    citizen: ChatUser, client: EmulatorClient, app: SnapreportApp
) -> None:
    other = await client.chat_user(first_name="Li", language_code="en")
    theirs = await seed_ticket(app, other.id, 1)
    ticket = await ticket_by_code(app, theirs)
    assert ticket.id is not None
    await citizen.command("help")
    helped = await citizen.expect("/status")

    forged = Supplement(ticket_id=ticket.id).pack()
    answer = await client.press(citizen.id, citizen.chat_id, helped.message_id, forged)

    assert answer.text is not None and "not allowed" in answer.text
    await citizen.send("Let me add something")
    await citizen.expect("I did not understand")  # no supplement state was entered
    assert [e.kind for e in await events_of(app, ticket.id)] == ["submitted"]


async def test_supplement_to_a_closed_ticket_is_refused(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_and_begin_a_supplement(citizen)
    async with app.session_factory() as session, session.begin():
        row = await session.scalar(select(Ticket).where(col(Ticket.code) == code))
        assert row is not None
        row.state = "closed"

    await citizen.send("One more thing")

    await citizen.expect("cannot do that now")
    assert [e.kind for e in await events_of(app, row.id)] == ["submitted"]
    assert await fsm_records(app, citizen.id) == []  # not stuck in the supplement step


async def test_supplement_too_long_stays_in_the_step(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    code = await file_and_begin_a_supplement(citizen)

    await citizen.send("z" * 2001)
    await citizen.expect("2000")
    await citizen.send("Shorter, then")

    await citizen.expect("Added to " + code)
