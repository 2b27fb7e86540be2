"""The console over plain HTTP: CSRF on every form, single-use links, sessions that end."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import update
from sqlmodel import col

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from storage.models import Member
from storage.supporters import SqlSupporters
from tests.console.conftest import login_link
from tests.conversations.staff import (
    answer_in_chat,
    deliver,
    leaks,
    new_ticket,
    security_events,
    staff_action,
    ticket_row,
)

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def browser_session() -> aiohttp.ClientSession:
    # The console is on 127.0.0.1: aiohttp keeps cookies of IP hosts only when told to.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(http: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    base, token = link.split("?t=")
    return await http.post(base, data={"t": token}, allow_redirects=True)


async def test_a_form_without_the_csrf_token_is_refused(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, console_port: int
) -> None:
    ticket = await new_ticket(app, citizen)
    link = await login_link(supervisor)
    async with browser_session() as http:
        signed = await sign_in(http, link)
        assert signed.status == 200
        assert "HttpOnly" in signed.history[0].headers["Set-Cookie"]
        assert "SameSite=Strict" in signed.history[0].headers["Set-Cookie"]
        url = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}/act"
        forged = await http.post(url, data={"action": "accept"}, allow_redirects=False)
        assert forged.status == 403
        wrong = await http.post(
            url, data={"action": "accept", "csrf": "x" * 43}, allow_redirects=False
        )
        assert wrong.status == 403
    assert (await ticket_row(app, ticket.id)).state == "new"
    assert "console_csrf" in [e.kind for e in await security_events(app)]


async def test_a_login_link_works_once(
    app: SnapreportApp, supervisor: ChatUser, console_port: int
) -> None:
    link = await login_link(supervisor)
    async with browser_session() as http:
        assert (await sign_in(http, link)).status == 200
    async with browser_session() as http:
        replayed = await sign_in(http, link)
        assert replayed.status == 403
        home = await http.get(f"http://127.0.0.1:{console_port}/console/")
        assert home.status == 401


async def test_a_citizen_gets_no_link(
    app: SnapreportApp, citizen: ChatUser, client: EmulatorClient
) -> None:
    await citizen.command("console")
    answer = await citizen.expect("")
    assert "/console/login" not in answer.content


async def test_removing_a_member_ends_their_session(
    app: SnapreportApp, supervisor: ChatUser, console_port: int
) -> None:
    link = await login_link(supervisor)
    async with browser_session() as http:
        assert (await sign_in(http, link)).status == 200
        home = f"http://127.0.0.1:{console_port}/console/"
        assert (await http.get(home)).status == 200
        async with app.session_factory() as session, session.begin():
            await session.execute(
                update(Member)
                .where(col(Member.department_id).is_not(None))
                .values(removed_at=datetime.now(UTC))
            )
        assert (await http.get(home)).status == 401


async def test_a_question_asked_in_the_console_is_relayed_and_its_answer_shown(
    app: SnapreportApp,
    supervisor: ChatUser,
    client: EmulatorClient,
    console_port: int,
) -> None:
    citizen = await client.chat_user(
        first_name="Wei", last_name="Zhang", username="wei_zhang_88", language_code="en"
    )
    await citizen.start()
    await citizen.expect("snap-a-photo")
    ticket = await new_ticket(app, citizen)
    await staff_action(app, ticket.id, action="accept")
    link = await login_link(supervisor)
    page = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    async with browser_session() as http:
        await sign_in(http, link)
        html = await (await http.get(page)).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', html)
        assert csrf
        data = {"csrf": csrf.group(1), "action": "ask", "state": "accepted"}
        asked = await http.post(f"{page}/act", data={**data, "text": "Which window was it?"})
        assert asked.status == 200
        await deliver(app)
        await citizen.expect("Which window was it?")
        await answer_in_chat(citizen, ticket.id, "Window 3, around 10 in the morning")
        shown = await (await http.get(page)).text()
    thread = shown.split("<h2>", 6)[-2]  # the messages with the reporter, before the history
    assert "Which window was it?" in thread and "Window 3, around 10 in the morning" in thread
    assert not leaks([shown], citizen)


async def test_the_ticket_page_counts_who_joined_with_me_too(
    app: SnapreportApp, supervisor: ChatUser, citizen: ChatUser, console_port: int
) -> None:
    ticket = await new_ticket(app, citizen)
    page = f"http://127.0.0.1:{console_port}/console/t/{ticket.code}"
    async with browser_session() as http:
        await sign_in(http, await login_link(supervisor))
        assert "附议人数" not in await (await http.get(page)).text()
        async with app.session_factory() as session, session.begin():
            for user_id in (700001, 700002):
                await SqlSupporters(session).add(
                    ticket_id=ticket.id, reporter_user_id=user_id, channel="telegram", now=NOW
                )
        shown = await (await http.get(page)).text()
    assert "附议人数（我也遇到了）</th><td>2</td>" in shown
