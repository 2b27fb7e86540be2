"""The console's oversight pages over HTTP: the chat's figures and files, the chat's scope;
the ticket page's history as the chat's /ticket shows it to each reader."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.models import Ticket
from storage.publications import SqlPublicationStore
from storage.stats import load_ranking
from tests.console.conftest import login_link
from tests.console.test_console_http import browser_session, sign_in
from tests.conversations.staff import (
    deliver,
    leaks,
    make_department_with_rule,
    new_ticket,
    prefer_language,
    security_events,
    staff_action,
    ticket_row,
)
from tests.conversations.test_accused_unit import (
    filed_about,
    hand_down_and_hear_back,
    office_over_unit,
)
from tests.conversations.test_stats_export import exported
from tickets.actors import Actor
from tickets.clock import ManualClock
from tickets.measures import Period
from tickets.periods import quarter_of
from tickets.publishing import redact_passage
from tickets.views import TicketView


async def signed_in(user: ChatUser, app: SnapreportApp) -> aiohttp.ClientSession:
    """A browser signed in as `user`, reading English."""
    await prefer_language(app, user)
    http = browser_session()
    assert (await sign_in(http, await login_link(user))).status == 200
    return http


async def chat_ranking(app: SnapreportApp) -> list[tuple[str, str]]:
    """(rank, department) of this quarter, as the chat's `/ranking` computes them."""
    tz = app.settings.tz
    year, number = quarter_of(app.clock.now().astimezone(tz).date())
    ranking = await load_ranking(
        app.session_factory,
        Period.quarter(year, number, tz),
        as_of=app.clock.now(),
        tz=app.settings.timezone,
    )
    return [(str(entry.rank), entry.name) for entry in ranking.entries]


async def closed_ticket_with_a_redacted_passage(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser
) -> TicketView:
    """A ticket closed with a public reply naming a clerk, whose name `admin` redacted."""
    ticket = await new_ticket(app, citizen)
    async with app.session_factory() as session, session.begin():
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.state, row.public_reply = "closed", "Clerk Wang was warned."
    async with app.session_factory() as session, session.begin():
        await redact_passage(
            SqlPublicationStore(session),
            Actor(user_id=admin.id, is_admin=True),
            ticket_id=ticket.id,
            passage="Wang",
            reason="names the clerk",
            now=app.clock.now(),
            channel_configured=True,
        )
    return ticket


async def test_the_dashboard_shows_the_chats_figures_in_the_chosen_scope(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    console_port: int,
    clock: ManualClock,
) -> None:
    traffic = await make_department_with_rule(app, "Traffic Police", category="car")
    for _ in range(3):
        await new_ticket(app, citizen)  # the intake department: the supervisor's
    rejected = await new_ticket(app, citizen, category="car")
    await staff_action(app, rejected.id, action="reject", text="Not misconduct")
    base = f"http://127.0.0.1:{console_port}/console"
    async with await signed_in(admin, app) as http:
        page = await http.get(f"{base}/stats?period=week")
        html = await page.text()
        assert page.status == 200
        assert "Received: 4 (1 rejected or duplicate)" in html
        assert "Traffic Police" in html and "Department ranking" in html
        one = await (await http.get(f"{base}/stats?period=month&department={traffic}")).text()
        assert "Received: 1 (1 rejected or duplicate)" in one
        png = await http.get(f"{base}/stats/chart/weekly.png?period=week")
        assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
        custom = await http.get(f"{base}/stats?period=custom&since=2026-11-30&until=2026-11-01")
        assert "These are not two days in order." in await custom.text()
    async with await signed_in(supervisor, app) as http:
        own = await (await http.get(f"{base}/stats?period=week")).text()
        assert "Received: 3" in own and "Department ranking" not in own
        forged = await http.get(f"{base}/stats?department={traffic}")
        assert forged.status == 403
        chart = await http.get(f"{base}/stats/chart/weekly.png?department={traffic}")
        assert chart.status == 403
        assert (await http.get(f"{base}/audit")).status == 403
    assert {"console_supervisor_only", "console_not_admin"} <= {
        e.kind for e in await security_events(app)
    }
    async with await signed_in(admin, app) as http:
        audit = await (await http.get(f"{base}/audit?kind=security&kind=moderation")).text()
    assert "console_supervisor_only" in audit and rejected.code in audit

    clock.advance(timedelta(days=10))  # past the intake's deadlines: it can be ranked
    async with await signed_in(admin, app) as http:
        quarterly = await (await http.get(f"{base}/stats?period=quarter")).text()
    ranked = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", quarterly)
    assert ranked and ranked == await chat_ranking(app)  # from the page's own figures


async def test_the_console_export_is_the_chats_export(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
    console_port: int,
) -> None:
    named = await client.chat_user(first_name="Lina", last_name="Qiao", language_code="en")
    traffic = await make_department_with_rule(app, "Traffic Police", category="car")
    await new_ticket(app, citizen)
    other = await new_ticket(app, named, category="car", real_name=True)
    _xlsx, chat_csv = await exported(admin, "week identity")
    base = f"http://127.0.0.1:{console_port}/console"
    async with await signed_in(admin, app) as http:
        named_csv = await (await http.get(f"{base}/export.csv?period=week&identity=1")).read()
        plain = await http.get(f"{base}/export.csv?period=week")
        plain_csv = (await plain.read()).decode("utf-8-sig")
        xlsx = await http.get(f"{base}/export.xlsx?period=week")
        assert xlsx.status == 200 and (await xlsx.read()).startswith(b"PK")
        one = await http.get(f"{base}/export.csv?period=week&department={traffic}")
        one_csv = (await one.read()).decode("utf-8-sig")
    assert other.code in one_csv and len(one_csv.strip().splitlines()) == 2
    assert named_csv == await admin.download(chat_csv)
    assert "Lina Qiao" in named_csv.decode("utf-8-sig")
    assert "attachment" in plain.headers["Content-Disposition"]
    assert not leaks([plain_csv], named) and not leaks([plain_csv, named_csv.decode()], citizen)
    async with await signed_in(supervisor, app) as http:
        refused = await http.get(f"{base}/export.csv?period=week&identity=1")
        forged = await http.get(f"{base}/export.csv?period=week&department={traffic}")
        own = (await (await http.get(f"{base}/export.csv?period=week")).read()).decode()
    assert refused.status == 403 and forged.status == 403
    assert other.code not in own and len(own.strip().splitlines()) == 2  # header + their one


async def test_a_ticket_past_its_deadline_is_on_the_overdue_list(
    app: SnapreportApp,
    supervisor: ChatUser,
    citizen: ChatUser,
    clock: ManualClock,
    console_port: int,
) -> None:
    late = await new_ticket(app, citizen)
    on_time = await new_ticket(app, citizen)
    await staff_action(app, on_time.id, action="accept")
    base = f"http://127.0.0.1:{console_port}/console"
    async with await signed_in(supervisor, app) as http:
        assert late.code not in await (await http.get(f"{base}/overdue")).text()
    row = await ticket_row(app, late.id)
    assert row.accept_by is not None
    clock.set(row.accept_by + timedelta(minutes=1))  # the session ended meanwhile
    await deliver(app)
    assert (await ticket_row(app, late.id)).card == "yellow"
    async with await signed_in(supervisor, app) as http:
        html = await (await http.get(f"{base}/overdue")).text()
    assert f'href="/console/t/{late.code}"' in html and "Yellow card" in html
    assert on_time.code not in html


async def test_the_audit_log_lists_a_publications_moderation_with_its_reason(
    app: SnapreportApp, admin: ChatUser, citizen: ChatUser, console_port: int
) -> None:
    ticket = await closed_ticket_with_a_redacted_passage(app, admin, citizen)
    base = f"http://127.0.0.1:{console_port}/console"
    async with await signed_in(admin, app) as http:
        audit = await (await http.get(f"{base}/audit?kind=moderation")).text()
    assert "✂️ Passage redacted for publication" in audit
    assert "«Wang» — names the clerk" in audit and ticket.code in audit


async def test_the_ticket_timeline_names_moderation_and_only_administrators_read_why(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    citizen: ChatUser,
    console_port: int,
) -> None:
    ticket = await closed_ticket_with_a_redacted_passage(app, admin, citizen)
    page = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    async with await signed_in(supervisor, app) as http:
        member_sees = await (await http.get(page)).text()
    async with await signed_in(admin, app) as http:
        admin_sees = await (await http.get(page)).text()
    line = "✂️ Passage redacted for publication — moderated by the supervision office"
    assert line in member_sees and "names the clerk" not in member_sees
    assert "names the clerk" in admin_sees and line not in admin_sees


async def test_the_unit_reported_on_reads_no_relay_on_the_ticket_page(
    app: SnapreportApp, client: EmulatorClient, citizen: ChatUser, console_port: int
) -> None:
    _, transport, office, unit = await office_over_unit(app, client)
    ticket = await filed_about(app, citizen, transport)
    await hand_down_and_hear_back(app, ticket.id, transport, citizen)
    page = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    async with await signed_in(unit, app) as http:
        unit_sees = await (await http.get(page)).text()
    async with await signed_in(office, app) as http:
        office_sees = await (await http.get(page)).text()
    assert "Line 12, at noon" in office_sees and "Which bus line" in office_sees
    assert "Line 12" not in unit_sees and "Which bus line" not in unit_sees
    assert ticket.code in unit_sees
