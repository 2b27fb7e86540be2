"""`snapreport demo --channel wechat`: the citizen on WeChat, the office on Telegram.

Both emulators and both channels of the bot start in-process on one temporary SQLite
database, as `snapreport run` starts them when BOT_TOKEN and WECHAT_APP_ID are both set.
A follower scans a service hall's QR code and reports by numbered text; the supervision
office works the ticket from Telegram's buttons; the question, the reply and the survey
reach the follower as WeChat customer-service messages, and their typed answers come back.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.app import SnapreportApp
from bot.demo import (
    ADMIN_ID,
    RATE_SCALE,
    Narrator,
    deliver,
    demo_settings,
    emit,
    indent,
    office_resolves,
    press,
    sample_photos,
    send,
)
from bot.wechat_app import WeChatApp
from config.logs import configure_logging
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from storage.routes_file import register_tag
from tickets.clock import ManualClock

OPEN_ID = "oDemoFollower000000000000001"
PLACE, TAG = "市民服务中心一楼", "hall_01"
ANSWER_WAIT = 10.0  # seconds for the bot's answer to reach the follower


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wechat_settings(server: EmulatorServer, wx: WeChatEmulator, root: Path) -> Settings:
    """The Telegram demo's settings with the Official Account beside it."""
    return demo_settings(
        server,
        root,
        webhook_host="127.0.0.1",
        webhook_port=free_port(),
        **wx.bot_settings(),
    )


@dataclass
class Follower:
    """The WeChat citizen: sends pushes through the emulator and prints what comes back."""

    user: WeChatUser
    name: str = "微信市民（匿名）"
    seen: int = 0

    async def does(self, what: str, act: Awaitable[list[str]], *, expect: str) -> str:
        """Print the action, await it, then print the bot's messages up to one with `expect`."""
        emit(f"\n📱 {self.name}: {what}")
        await act
        return await self.shows(expect)

    async def says(self, text: str, *, expect: str) -> str:
        return await self.does(text, self.user.send_text(text), expect=expect)

    async def shows(self, expect: str) -> str:
        """Print new messages until one contains `expect` (or the wait runs out)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WAIT
        while (left := deadline - loop.time()) > 0:
            messages = await self.user.received(self.seen + 1, wait=left)
            for message in messages[self.seen :]:
                self.seen += 1
                content = str(message.get("text", {}).get("content", "[image]"))
                emit(f"   🤖 bot → {self.name} (WeChat):")
                emit(indent(content))
                if expect in content:
                    return content
        raise RuntimeError(f"the follower received nothing with {expect!r}")


async def follower_reports(wx: WeChatEmulator, follower: Follower) -> str:
    emit(f"   (the poster at {PLACE} carries the Official Account's QR code, scene {TAG})")
    await follower.does(
        "(scans the poster and follows)", follower.user.subscribe(TAG), expect="第 1/6 步"
    )
    for text, marker in (("2", "反映的是哪个单位"), ("0", "第 2/6 步")):
        await follower.says(text, expect=marker)
    await follower.says(
        "窗口工作人员上班时间一直在玩手机游戏，群众排队无人办理", expect="第 3/6 步"
    )
    media = wx.add_media(sample_photos()[0])
    await follower.does(
        "(sends a photo)", follower.user.send_image(media), expect="已收到 1 张照片"
    )
    for text, marker in (("下一步", "第 4/6 步"), ("跳过", "第 5/6 步"), ("匿名", "第 6/6 步")):
        await follower.says(text, expect=marker)
    filed = await follower.says("确认", expect="您的举报已提交")
    found = re.search(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]", filed)
    if found is None:
        raise RuntimeError("the bot did not give a tracking code")
    return found.group(0)


async def office_works(
    app: SnapreportApp, narrator: Narrator, admin: ChatUser, follower: Follower
) -> None:
    await press(narrator, admin, "受理", expect="已受理")
    await follower.shows("已由")
    await press(narrator, admin, "询问举报人", expect="请输入")
    await send(narrator, admin, "请问是几号窗口？大约几点？", expect="已转达")
    await follower.shows("几号窗口")
    await follower.says("3号窗口，上午十点左右", expect="已转达")
    await deliver(app, narrator, admin)
    await office_resolves(narrator, admin)
    await follower.shows("已被约谈")


async def play(
    wx: WeChatEmulator,
    client: EmulatorClient,
    http: aiohttp.ClientSession,
    app: SnapreportApp,
    clock: ManualClock,
) -> int:
    follower = Follower(WeChatUser(http, wx.url, OPEN_ID))
    admin = await client.chat_user(user_id=ADMIN_ID, first_name="王", language_code="zh-hans")
    narrator = Narrator(client, names={ADMIN_ID: "督查室管理员（Telegram）"})
    emit("=== 1. A citizen scans a service hall's QR code on WeChat and reports ===")
    code = await follower_reports(wx, follower)
    emit(f"\n   ✔ ticket filed: {code}")
    emit("\n=== 2. The alert reaches the supervision office on Telegram ===")
    await deliver(app, narrator, admin)
    emit("\n=== 3. The office accepts, asks the reporter on WeChat, and resolves ===")
    await office_works(app, narrator, admin, follower)
    emit("\n=== 4. The survey follows the reply, answered by number ===")
    clock.advance(timedelta(minutes=5))
    await deliver(app, narrator)  # the survey is a follow-up the scheduler fires
    await follower.shows("1 满意")
    await follower.says("1", expect="")
    await follower.says("我的举报", expect=code)
    emit("\n✔ WeChat report → Telegram alert → reply → survey: done.")
    return 0


async def run_wechat_demo() -> int:
    """Run the scripted WeChat cycle; returns the process exit code."""
    configure_logging("WARNING", hash_key=secrets.token_hex(16))
    with tempfile.TemporaryDirectory(prefix="snapreport-demo-") as tmp:
        server = EmulatorServer(EmulatorConfig(rate_scale=RATE_SCALE))
        wx = WeChatEmulator()
        await server.start()
        await wx.start()
        clock = ManualClock(datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
        settings = wechat_settings(server, wx, Path(tmp))
        wechat = WeChatApp(settings, clock=clock)
        app = SnapreportApp(settings, clock=clock)
        emit(
            f"snapreport demo — WeChat emulator at {wx.url}, Telegram emulator at {server.url}, "
            f"database in {tmp}\n"
        )
        await wechat.start()  # first: it migrates the database both use
        wx.bot_url = f"http://127.0.0.1:{settings.webhook_port}/wechat"
        await app.start()
        await register_tag(settings, tag=TAG, place=PLACE, department=None)
        try:
            async with EmulatorClient(server.url) as client, aiohttp.ClientSession() as http:
                return await play(wx, client, http, app, clock)
        finally:
            await app.stop()
            await wechat.stop()
            await wx.stop()
            await server.stop()
