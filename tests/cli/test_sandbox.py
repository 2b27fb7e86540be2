"""`snapreport demo --web`: the sandbox page, over HTTP and played in a real browser.

The sandbox runs in-process on a free port, as the command runs it (its own emulator, the
real app on SQLite in the test's tmp directory), with the tests' manual clock. The browser
test plays the whole cycle on the two phones by clicking and typing only; its screenshot
goes to $CONSOLE_SCREENSHOTS (see `tests/browser.py`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Locator, expect

from bot.sandbox import RunningSandbox, running_sandbox
from tests.conftest import START
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock

POST = {"X-Sandbox": "1"}
CODE = re.compile(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]")
REPLY = "经核实，该工作人员已被约谈并通报批评，窗口已恢复正常办理。"
# Playwright's waits: a step of the bot takes well under a second here.
STEP_MS = 10_000


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(tmp_path, port=0, clock=ManualClock(START)) as running:
        yield running


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


async def test_the_page_reaches_only_its_two_phones_chats(sandbox: RunningSandbox) -> None:
    base = sandbox.url.rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.get(sandbox.url) as response:
            page = await response.text()
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert 'data-phone="citizen"' in page and 'data-phone="supervisor"' in page
        assert "市民" in page  # Chinese by default
        async with http.get(f"{sandbox.url}?lang=en") as response:
            assert "Citizen" in await response.text()

        async with http.post(f"{base}/api/citizen/sample") as refused:
            assert refused.status == 403  # no X-Sandbox header: a form on another site
        upload = aiohttp.FormData()
        upload.add_field("photo", jpeg_bytes(seed=3), filename="p.jpg", content_type="image/jpeg")
        async with http.post(f"{base}/api/citizen/photo", data=upload, headers=POST) as response:
            sent = await response.json()
        mine = sent["messages"][-1]
        assert mine["mine"] and mine["photo"].startswith("/api/citizen/files/")

        # The long poll returns once the bot has answered the photo.
        status, answered = await get(http, f"{base}/api/citizen/chat?after={sent['seq']}")
        assert status == 200 and answered["seq"] > sent["seq"]
        assert "已收到 1 张照片" in answered["messages"][-1]["html"]

        async with http.get(base + mine["photo"]) as photo:
            assert photo.status == 200 and photo.content_type == "image/jpeg"
            assert (await photo.read())[:2] == b"\xff\xd8"
        file_id = mine["photo"].rsplit("/", 1)[1]
        # Another phone, another chat, an id that is not a phone: all refused.
        for path in (
            f"/api/supervisor/files/{file_id}",
            "/api/700000001/chat",
            "/api/admin/chat",
        ):
            async with http.get(base + path) as response:
                assert response.status == 404, path
        async with http.post(f"{base}/api/10001/text", json={"text": "hi"}, headers=POST) as r:
            assert r.status == 404


async def test_the_sandbox_plays_a_report_reply_cycle(
    sandbox: RunningSandbox, browser: Browser, screenshots: Path
) -> None:
    page = await (await browser.new_context(viewport={"width": 1000, "height": 1000})).new_page()
    page.set_default_timeout(STEP_MS)
    await page.goto(sandbox.url)
    citizen = page.locator('[data-phone="citizen"]')
    supervisor = page.locator('[data-phone="supervisor"]')

    await citizen.get_by_role("button", name="示例照片").click()
    await shows(citizen, "已收到 1 张照片")
    await press(citizen, "下一步")
    await shows(citizen, "第 2/5 步")
    await say(citizen, "窗口工作人员上班时间一直在玩手机游戏")
    await press(citizen, "上班玩手机")
    await press(citizen, "不清楚")
    await shows(citizen, "第 4/5 步")
    await citizen.locator(".keyboard").get_by_role("button", name="分享我的位置").click()
    await shows(citizen, "已收到位置")
    await expect(citizen.locator(".keyboard button")).to_have_count(0)  # a one-time keyboard
    await press(citizen, "匿名")
    await press(citizen, "确认提交")
    filed = await shows(citizen, "举报编号")
    code = CODE.search(await filed.inner_text())
    assert code is not None

    await shows(supervisor, code.group(0))  # the alert card
    await press(supervisor, "受理")
    await shows(supervisor, "已受理")
    await press(supervisor, "办结")
    await press(supervisor, "查实", exact=True)
    await press(supervisor, "通报批评")
    await press(supervisor, "完成")
    await press(supervisor, "1", exact=True)
    await shows(supervisor, "答复内容")
    await say(supervisor, REPLY)
    await press(supervisor, "发送答复")
    await shows(supervisor, "已办结")

    await shows(citizen, REPLY)
    await expect(citizen.get_by_role("button", name="满意").last).to_be_visible()
    photo = citizen.get_by_role("img").first
    assert await photo.evaluate("image => image.complete && image.naturalWidth > 0")
    await page.screenshot(path=screenshots / "sandbox-cycle.png", full_page=True)


async def shows(phone: Locator, text: str) -> Locator:
    """Wait until the phone's chat shows a bot message containing `text`; return it."""
    message = phone.locator(".msg.bot", has_text=text).last
    await message.wait_for()
    return message


async def press(phone: Locator, name: str, *, exact: bool = False) -> None:
    """Press the newest inline button of that name, as a person presses the one in view."""
    pattern = re.compile(rf"^(\W*\s)?{re.escape(name)}(\s\W*)?$") if exact else name
    button = phone.locator(".inline button").filter(has_text=pattern).last
    await button.click()


async def say(phone: Locator, text: str) -> None:
    await phone.get_by_role("textbox").fill(text)
    await phone.locator(".composer").get_by_role("button").click()
