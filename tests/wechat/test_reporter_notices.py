"""A WeChat citizen's ticket worked by a Telegram supervisor: the question, the reply and the
survey reach the citizen on WeChat as plain text, and their typed answers come back."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import SnapreportApp
from bot.wechat_app import WeChatApp
from emulator.client import ChatUser
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WINDOW_SECONDS, WeChatEmulator
from storage.models import OutboxMessage, Ticket
from tests.conversations.staff import (
    ask_reporter,
    begin_resolving,
    deliver,
    prefer_language,
    staff_action,
    ticket_row,
)
from tests.wechat.test_report_flow import say


async def file_report(follower: WeChatUser) -> str:
    for text, expected in [
        ("我要举报", "第 1/6 步"),
        ("1", "反映的是哪个单位"),
        ("0", "第 2/6 步"),
        ("办事大厅三号窗口长时间无人", "第 3/6 步"),
        ("下一步", "第 4/6 步"),
        ("跳过", "第 5/6 步"),
        ("匿名", "第 6/6 步"),
    ]:
        await say(follower, text, expected)
    found = re.search(r"SR-[0-9A-Z-]+", await say(follower, "确认", "您的举报已提交"))
    assert found is not None
    return found.group()


async def ticket_by_code(app: WeChatApp, code: str) -> Ticket:
    async with app.session_factory() as session:
        ticket = await session.scalar(select(Ticket).where(col(Ticket.code) == code))
    assert ticket is not None
    return ticket


async def test_question_reply_and_survey_reach_the_wechat_reporter_and_3_reopens(
    wx_app: WeChatApp, tg_app: SnapreportApp, supervisor: ChatUser, follower: WeChatUser
) -> None:
    await prefer_language(tg_app, supervisor)
    code = await file_report(follower)
    await deliver(tg_app)
    await supervisor.expect("Reporter: anonymous")  # the new ticket's card
    await supervisor.press("Accept")
    await supervisor.expect("✅ Accepted — Sup")
    await follower.expect(f"您的举报 {code} 已由")
    await ask_reporter(supervisor, "是哪一天？<大约几点>")
    question = await follower.expect("是哪一天？<大约几点>")  # plain text: nothing escaped
    assert "&lt;" not in question and "<b>" not in question

    await say(follower, "周一上午十点左右", "已转达")
    await deliver(tg_app)
    await supervisor.expect("周一上午十点左右")

    await begin_resolving(
        supervisor, finding="Substantiated", actions=["Criticism and education"], people="1"
    )
    await supervisor.send("已对该窗口人员批评教育，窗口已恢复值守。")
    await supervisor.expect("Reply noted")
    await supervisor.press("Send reply")
    resolved = await follower.expect("已对该窗口人员批评教育")
    assert "核查结果：查实" in resolved and "批评教育" in resolved  # the finding, plain text
    await deliver(tg_app)  # the survey is a follow-up the scheduler fires
    survey = await follower.expect("3 不满意")
    assert "1 满意" in survey and "2 基本满意" in survey

    await say(follower, "3", "已重新")
    ticket = await ticket_by_code(wx_app, code)
    assert (ticket.state, ticket.satisfaction) == ("reopened", "unsatisfied")
    mine = await say(follower, "我的举报", code)
    assert f"{code} · 重新办理" in mine
    # The department hears of the reopening on Telegram, as it does for Telegram reporters.
    await deliver(tg_app)
    await supervisor.expect("is reopened")


async def test_a_notice_outside_the_window_waits_for_the_followers_next_message(
    wx: WeChatEmulator, wx_app: WeChatApp, tg_app: SnapreportApp, follower: WeChatUser
) -> None:
    code = await file_report(follower)
    ticket = await ticket_by_code(wx_app, code)
    wx.now += WINDOW_SECONDS + 60  # the follower last wrote 48 hours and a minute ago
    assert ticket.id is not None
    await staff_action(tg_app, ticket.id, action="accept")
    await wx_app.service.dispatcher.send_due()
    async with wx_app.session_factory() as session:
        [notice] = await session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.channel) == "wechat")
        )
    assert (notice.state, notice.attempts) == ("pending", 0)
    assert "45015" in (notice.last_error or "")
    before = len(await follower.received())

    await follower.send_text(f"状态 {code}")
    received = await follower.received(before + 2)
    texts = [m["text"]["content"] for m in received[before:]]
    assert any(t.startswith(code) and "状态：已受理" in t for t in texts)  # 状态 shows it
    assert any(f"您的举报 {code} 已由" in t for t in texts)  # and the notice went out
    assert (await ticket_row(tg_app, ticket.id)).state == "accepted"


@pytest.mark.parametrize("wechat_template_ids", [{"status": "TPL-STATUS"}])
async def test_outside_the_window_a_configured_template_carries_the_notice(
    wx: WeChatEmulator, wx_app: WeChatApp, tg_app: SnapreportApp, follower: WeChatUser
) -> None:
    code = await file_report(follower)
    ticket = await ticket_by_code(wx_app, code)
    wx.now += WINDOW_SECONDS + 60
    assert ticket.id is not None
    before = len(await follower.received())
    await staff_action(tg_app, ticket.id, action="accept")
    await wx_app.service.dispatcher.send_due()

    [template] = (await follower.received(before + 1))[before:]
    assert (template["msgtype"], template["template_id"]) == ("template", "TPL-STATUS")
    fields = {name: value["value"] for name, value in template["data"].items()}
    assert (fields["keyword1"], fields["keyword2"]) == (code, "已受理")
    assert f"状态 {code}" in fields["remark"]
    async with wx_app.session_factory() as session:
        [notice] = await session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.channel) == "wechat")
        )
    assert notice.state == "sent"
