"""`snapreport demo`: the whole cycle on the built-in emulator, printed as a chat.

No token, no internet: an emulator and the real bot start in-process on a temporary
SQLite database; scripted people (a citizen, the supervision office's administrator)
talk to it through the emulator's control API, exactly as they would through Telegram.
A manual clock stands in for days passing, so deadlines and the survey run in seconds.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import SnapreportApp
from bot.demo_history import seed_history
from config.logs import configure_logging
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from emulator.views import ChatMessage
from storage.identity import generate_key
from tickets.clock import ManualClock

ADMIN_ID = 10_001
CITIZEN_ID = 20_002
SUPERVISOR_ID = 30_003
RATE_SCALE = 10.0
TAGS = re.compile(r"<[^>]+>")
CHART_PATH = Path("out") / "demo-stats-chart.jpg"


def emit(text: str) -> None:
    """The demo's output is its transcript: plain stdout, flushed as it goes."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def sample_photos() -> list[bytes]:
    """Two small, photo-like JPEGs made on the spot (the demo ships no binaries)."""
    import io

    from PIL import Image, ImageDraw

    photos = []
    for shade in (90, 160):
        image = Image.new("RGB", (800, 600), (shade, 120, 200 - shade // 2))
        draw = ImageDraw.Draw(image)
        draw.rectangle((250, 150, 550, 450), fill=(240, 240, 240))
        draw.ellipse((350, 220, 450, 320), fill=(30, 30, 30))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        photos.append(buffer.getvalue())
    return photos


@dataclass
class Narrator:
    """Prints what people do and what the bot answers, in order."""

    client: EmulatorClient
    names: dict[int, str] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)

    def say(self, who: ChatUser, what: str) -> None:
        emit(f"\n👤 {self.names[who.chat_id]}: {what}")

    async def show_bot(self, who: ChatUser, *, settle: float = 0.6) -> None:
        """Print the bot's new or edited messages in `who`'s chat, until it goes quiet."""
        while True:
            after = self.seen.get(who.chat_id, 0)
            actions = await self.client.wait_for_bot_message(who.chat_id, after, settle)
            if not actions:
                return
            for action in actions:
                self.seen[who.chat_id] = action.seq
                if action.kind == "delete":
                    continue
                verb = "✏️ edits" if action.kind == "edit" else "→"
                emit(f"   🤖 bot {verb} {self.names[who.chat_id]}:")
                emit(indent(render(action.message)))

    async def step(self, who: ChatUser, what: str, *, settle: float = 0.6) -> None:
        self.say(who, what)
        await self.show_bot(who, settle=settle)


def render(message: ChatMessage) -> str:
    parts = []
    if message.photo:
        parts.append("[photo]")
    if message.location:
        parts.append(
            f"[location {message.location.latitude:.4f}, {message.location.longitude:.4f}]"
        )
    content = TAGS.sub("", message.content or "")
    if content:
        parts.append(content)
    buttons = [b.text for b in message.inline_buttons] + [b.text for b in message.keyboard_buttons]
    if buttons:
        parts.append("buttons: " + " | ".join(f"[{b}]" for b in buttons))
    return "\n".join(parts)


def indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def demo_settings(server: EmulatorServer, root: Path, **more: Any) -> Settings:
    """The demo's settings; `more` adds to them (the WeChat demo's Official Account)."""
    return Settings(
        _env_file=None,
        bot_token=server.token,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{root / 'demo.sqlite3'}",
        identity_key=generate_key(),  # a throwaway database, a throwaway key
        media_dir=root / "media",
        admin_ids=frozenset({ADMIN_ID}),
        poll_timeout=1,
        log_level="WARNING",
        rate_global_per_second=30.0 * RATE_SCALE,
        rate_private_per_second=1.0 * RATE_SCALE,
        rate_group_per_minute=20.0 * RATE_SCALE,
        **more,
    )


async def citizen_reports(narrator: Narrator, citizen: ChatUser) -> str:
    await narrator.step(citizen, "/start")
    await citizen.start()
    await citizen.expect("随手拍")
    await narrator.show_bot(citizen)
    narrator.say(citizen, "(sends an album of 2 photos, captioned)")
    await citizen.send_album(
        sample_photos(), caption="窗口工作人员上班时间一直在玩手机游戏，群众排队无人办理"
    )
    await citizen.expect("已收到 2 张照片")
    await narrator.show_bot(citizen)
    steps = (
        ("下一步", "第 3/5 步"),
        ("上班玩手机", "反映的是哪个单位"),
        ("不清楚", "第 4/5 步"),
        ("跳过", "第 5/5 步"),
        ("匿名", "请核对"),
        ("确认提交", "举报编号"),
    )
    for button, marker in steps:
        await press(narrator, citizen, button, expect=marker)
    filed = await citizen.messages()
    code_match = re.search(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]", filed[-1].content)
    if code_match is None:
        raise RuntimeError("the bot did not give a tracking code")
    return code_match.group(0)


async def press(narrator: Narrator, who: ChatUser, button: str, *, expect: str) -> None:
    """Press a button, wait for the answer that contains `expect`, print what came."""
    narrator.say(who, f"(presses [{button}])")
    await who.press(button)
    await who.expect(expect, timeout=10)
    await narrator.show_bot(who, settle=0.3)


async def send(narrator: Narrator, who: ChatUser, text: str, *, expect: str) -> None:
    narrator.say(who, text)
    await who.send(text)
    await who.expect(expect, timeout=10)
    await narrator.show_bot(who, settle=0.3)


async def deliver(app: SnapreportApp, narrator: Narrator, *people: ChatUser) -> None:
    """Let the scheduler tick (due follow-ups, outbox) and show what arrived."""
    assert app.scheduler is not None
    await app.scheduler.run_due_once()
    for who in people:
        await narrator.show_bot(who, settle=1.0)


async def office_handles(
    narrator: Narrator, app: SnapreportApp, admin: ChatUser, citizen: ChatUser, code: str
) -> None:
    await press(narrator, admin, "受理", expect="已受理")
    await deliver(app, narrator, citizen)
    await press(narrator, admin, "询问举报人", expect=code)
    await send(narrator, admin, "请问是几号窗口？大约几点？", expect="已转达")
    await deliver(app, narrator, citizen)
    await press(narrator, citizen, "回复", expect=code)
    await send(narrator, citizen, "3号窗口，上午十点左右", expect="已转达")
    await deliver(app, narrator, admin)
    await office_resolves(narrator, admin)
    await deliver(app, narrator, citizen)


async def office_resolves(narrator: Narrator, admin: ChatUser) -> None:
    """Resolve with a finding (substantiated, criticised, one person) and the reply."""
    await press(narrator, admin, "办结", expect="核查结果是什么")
    await press(narrator, admin, "查实", expect="采取了哪些处理措施")
    await press(narrator, admin, "通报批评", expect="采取了哪些处理措施")
    await press(narrator, admin, "完成", expect="涉及多少人")
    await press(narrator, admin, "1", expect="答复内容")
    reply = "经核实，该工作人员已被约谈并通报批评，窗口已恢复正常办理。"
    await send(narrator, admin, reply, expect="发送答复")
    await press(narrator, admin, "发送答复", expect="已办结")


async def play(client: EmulatorClient, app: SnapreportApp, clock: ManualClock) -> int:
    citizen = await client.chat_user(user_id=CITIZEN_ID, first_name="李", language_code="zh-hans")
    admin = await client.chat_user(user_id=ADMIN_ID, first_name="王", language_code="zh-hans")
    narrator = Narrator(client, names={CITIZEN_ID: "市民（匿名）", ADMIN_ID: "督查室管理员"})
    emit("=== 1. A citizen reports, photo first ===")
    code = await citizen_reports(narrator, citizen)
    emit(f"\n   ✔ ticket filed: {code}")
    await narrator.step(citizen, f"/status {code}")
    await citizen.command("status", code)
    await narrator.show_bot(citizen)
    emit("\n=== 2. The alert reaches the supervision office (no department has staff yet) ===")
    await deliver(app, narrator, admin)
    emit("\n=== 3. The office accepts, asks the reporter anonymously, and resolves ===")
    await office_handles(narrator, app, admin, citizen, code)
    emit("\n=== 4. The survey follows the reply ===")
    clock.advance(timedelta(minutes=5))
    await deliver(app, narrator, citizen)
    await press(narrator, citizen, "满意", expect="")
    await narrator.step(citizen, f"/status {code}")
    await citizen.command("status", code)
    await narrator.show_bot(citizen)
    emit("\n=== 5. The supervision office looks at the figures ===")
    seeded = await seed_history(app.session_factory, now=clock.now() - timedelta(hours=1))
    emit(f"   (history: {seeded} generated tickets of the last quarter over 5 departments,")
    emit(
        "    with late, yellow/red-carded, reopened and unsatisfied ones, so the charts look real)"
    )
    chart = await office_stats(narrator, admin)
    emit(f"\n   ✔ a /stats chart was saved to {chart}")
    emit("\n✔ report → alert → reply → survey: done.")
    return 0


async def office_stats(narrator: Narrator, admin: ChatUser) -> Path:
    """Ask for /stats and keep the first chart the bot sends, as a person would."""
    await narrator.step(admin, "/stats", settle=0.1)
    await admin.command("stats")
    await admin.expect("📊 ", timeout=15)  # this week's charts
    await narrator.show_bot(admin, settle=0.3)
    await narrator.step(admin, "[本季度]", settle=0.1)
    before = await admin.last()
    await admin.press("本季度")
    photos: list[ChatMessage] = []
    for _attempt in range(40):
        photos = [
            m
            for m in await admin.messages()
            if m.from_bot and m.photo and m.message_id > (before.message_id if before else 0)
        ]
        if photos:
            break
        await asyncio.sleep(0.25)
    await narrator.show_bot(admin, settle=1.0)
    if not photos:
        raise RuntimeError("the bot sent no /stats chart")
    CHART_PATH.parent.mkdir(parents=True, exist_ok=True)
    CHART_PATH.write_bytes(await admin.download(photos[0]))
    return CHART_PATH


async def run_demo() -> int:
    """Run the scripted cycle; returns the process exit code."""
    # The demo forgets its logs: a throwaway key keeps user hashes keyed without a warning.
    configure_logging("WARNING", hash_key=secrets.token_hex(16))
    with tempfile.TemporaryDirectory(prefix="snapreport-demo-") as tmp:
        server = EmulatorServer(EmulatorConfig(rate_scale=RATE_SCALE))
        await server.start()
        clock = ManualClock(datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
        app = SnapreportApp(demo_settings(server, Path(tmp)), clock=clock)
        emit(f"snapreport demo — emulator at {server.url}, database in {tmp}\n")
        await app.start()
        try:
            async with EmulatorClient(server.url) as client:
                return await play(client, app, clock)
        finally:
            await app.stop()
            await server.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(run_demo()))
