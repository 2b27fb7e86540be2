"""The web console in a real browser (Debian's Chromium driven by Playwright): a supervisor
signs in by the link the bot sent, filters, opens a ticket, accepts and resolves it with a
finding (a reply template fills the form in place first), and the reporter reads the reply
in the chat; an outsider gets 403; a used link is refused. Screenshots go to
$CONSOLE_SCREENSHOTS (the `browser` and `screenshots` fixtures are in `tests/browser.py`).
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conftest import make_department
from tests.console.conftest import login_link
from tests.conversations.staff import add_member, deliver, leaks, outbox, ticket_row
from tests.conversations.steps import file_report

REPLY = "The clerk was warned and window 3 is staffed again."


async def sign_in(browser: Browser, link: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(link)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/console/")
    return page


async def test_a_supervisor_handles_a_report_in_the_console(
    app: SnapreportApp,
    supervisor: ChatUser,
    citizen: ChatUser,
    client: EmulatorClient,
    browser: Browser,
    screenshots: Path,
    console_port: int,
) -> None:
    code = await file_report(citizen)
    roads = await make_department(app, "Roads")
    outsider = await client.chat_user(first_name="Li", language_code="en")
    await add_member(app, outsider, roads)

    link = await login_link(supervisor)
    page = await sign_in(browser, link)
    await page.get_by_role("heading", name="工单", exact=True).wait_for()  # Chinese by default
    await page.get_by_role("button", name="English").click()
    await page.get_by_role("heading", name="Ticket list").wait_for()
    await page.get_by_label("State").select_option("new")
    await page.get_by_role("button", name="Apply").click()
    await page.get_by_role("link", name=code).wait_for()
    await page.screenshot(path=screenshots / "console-list.png", full_page=True)

    await page.get_by_role("link", name=code).click()
    await page.get_by_role("heading", name=code, exact=False).wait_for()
    await page.wait_for_load_state("load")  # the heading shows before the photo has loaded
    photo = page.get_by_role("img", name="Photo 1")
    assert await photo.evaluate("image => image.complete && image.naturalWidth > 0")
    assert not leaks([await page.content()], citizen)
    await page.screenshot(path=screenshots / "console-ticket.png", full_page=True)

    await page.get_by_role("button", name="✅ Accept").click()
    await page.get_by_role("status").wait_for()
    # A reply template fills the finding and the reply in place (no reload), still editable.
    await page.wait_for_load_state("load")  # the script is in place: a click is no link
    await page.get_by_role("link", name="📝 问题已核实处理").click()
    reply = page.get_by_label("Official reply (the reporter receives it)")
    assert f"（编号 {code}）" in await reply.input_value()
    assert await page.get_by_label("Substantiated", exact=True).is_checked()
    assert "template=" not in page.url
    await page.get_by_label("Substantiated", exact=True).check()
    await page.get_by_label("Ordered to rectify").check()
    await page.get_by_label("Number of people concerned (never who)").fill("1")
    await page.get_by_label("Official reply (the reporter receives it)").fill(REPLY)
    await page.get_by_role("button", name="🏁 Resolve").click()
    await page.get_by_role("status").wait_for()
    await page.screenshot(path=screenshots / "console-resolved.png", full_page=True)
    await page.get_by_role("link", name="Statistics").click()
    await page.get_by_label("Period").select_option("month")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_load_state("load")  # the charts are drawn while the page waits
    chart = page.get_by_role("img", name="Tickets by week and state")
    assert await chart.evaluate("image => image.complete && image.naturalWidth > 0")
    await page.screenshot(path=screenshots / "console-stats.png", full_page=True)

    row = await ticket_row(app, (await ticket_id(app, code)))
    assert (row.state, row.finding, row.finding_actions, row.people_concerned) == (
        "resolved",
        "substantiated",
        ["rectify"],
        1,
    )
    # The chat's cards follow: the outbox edits the alert the supervisor got.
    edits = [m for m in await outbox(app, ticket_id=row.id) if m.method.startswith("edit")]
    assert edits
    await deliver(app)
    await citizen.expect(REPLY)

    foreign = await sign_in(browser, await login_link(outsider))
    response = await foreign.goto(f"http://127.0.0.1:{console_port}/console/t/{code}")
    assert response is not None and response.status == 403
    await foreign.screenshot(path=screenshots / "console-refused.png")

    replay = await (await browser.new_context()).new_page()
    await replay.goto(link)
    async with replay.expect_response("**/console/login") as refused:
        await replay.get_by_role("button", name="登录").click()
    assert (await refused.value).status == 403


async def ticket_id(app: SnapreportApp, code: str) -> int:
    async with app.session_factory() as session:
        ticket = await app.workspace(session).tickets.get_by_code(code=code)
    assert ticket is not None
    return ticket.id
