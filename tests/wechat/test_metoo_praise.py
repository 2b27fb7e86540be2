"""'Me too' (我也遇到了) and praise (表扬) on WeChat, through the WeChat emulator: the same
domain services as Telegram's, answered in plain text with numbers for buttons."""

from __future__ import annotations

import re

import aiohttp
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.app import SnapreportApp
from bot.wechat_app import WeChatApp
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from storage.models import (
    Department,
    FsmRecord,
    OutboxMessage,
    Praise,
    PraisePhoto,
    Reporter,
    Supporter,
    Ticket,
)
from tests.conversations.staff import deliver, staff_action
from tests.factories import add_department
from tests.imagefactory import jpeg_bytes
from tests.wechat.conftest import ADMIN_ID
from tests.wechat.test_report_flow import drafts, say, tickets

DESCRIPTION = "办事大厅三号窗口长时间无人，群众排长队"


@pytest.fixture
def neighbour(wx: WeChatEmulator, wx_app: WeChatApp, http: aiohttp.ClientSession) -> WeChatUser:
    """A second follower, who sees what the first one saw."""
    return WeChatUser(http, wx.url, "oNeighbour000000000000000002")


async def draft_with_photo(
    wx: WeChatEmulator, user: WeChatUser, *, category: str, description: str = DESCRIPTION
) -> None:
    """Steps 1–6 with one photo (the same seed: the same picture), up to the preview."""
    await say(user, "我要举报", "第 1/6 步")
    await say(user, category, "反映的是哪个单位")
    await say(user, "0", "第 2/6 步")
    await say(user, description, "第 3/6 步")
    await user.send_image(wx.add_media(jpeg_bytes(seed=1)))
    await user.expect("已收到 1 张照片")
    await say(user, "下一步", "第 4/6 步")
    await say(user, "跳过", "第 5/6 步")
    await say(user, "匿名", "第 6/6 步")


async def file_first(wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser) -> Ticket:
    await draft_with_photo(wx, follower, category="3")
    filed = await say(follower, "确认", "您的举报已提交")
    found = re.search(r"SR-[0-9A-Z-]+", filed)
    assert found is not None
    [ticket] = await tickets(wx_app)
    assert ticket.code == found.group()
    return ticket


async def supporters(app: WeChatApp) -> list[tuple[Supporter, Reporter]]:
    async with app.session_factory() as session:
        rows = await session.execute(
            select(Supporter, Reporter).join(Reporter, col(Reporter.id) == Supporter.reporter_id)
        )
        return [(s, r) for s, r in rows]


async def test_me_too_joins_the_open_ticket_hears_its_reply_and_rates_it(
    wx: WeChatEmulator,
    wx_app: WeChatApp,
    tg_app: SnapreportApp,
    follower: WeChatUser,
    neighbour: WeChatUser,
) -> None:
    ticket = await file_first(wx, wx_app, follower)
    assert ticket.id is not None
    await draft_with_photo(wx, neighbour, category="1", description="窗口没人，等了一个小时")
    offered = await say(neighbour, "确认", "已有类似的举报正在办理")
    # Its category, state and how to answer; never its code, words or reporter.
    assert "1 态度生硬/刁难 · 待受理" in offered and "我也遇到了" in offered
    assert ticket.code not in offered and DESCRIPTION not in offered
    assert follower.open_id not in offered

    joined = await say(neighbour, "1", "您已加入正在办理的举报")
    assert ticket.code not in joined
    [only] = await tickets(wx_app)  # nothing filed
    assert only.id == ticket.id and await drafts(wx_app) == []
    [(supporter, reporter)] = await supporters(wx_app)
    assert (supporter.ticket_id, reporter.channel) == (ticket.id, "wechat")
    assert reporter.channel_address == neighbour.open_id

    await staff_action(tg_app, ticket.id, action="accept")
    await neighbour.expect("您加入的案件")
    await staff_action(tg_app, ticket.id, action="resolve", text="已恢复窗口值守。")
    resolved = await neighbour.expect("已恢复窗口值守。")
    assert "已办结" in resolved and ticket.code not in resolved and "<" not in resolved
    await deliver(tg_app)  # the survey is a follow-up the scheduler fires
    survey = await neighbour.expect("3 不满意")
    assert "您加入的案件" in survey and ticket.code not in survey

    await say(neighbour, "2", "您对所加入案件的评价：基本满意")
    [(rated, _)] = await supporters(wx_app)
    assert rated.satisfaction == "fair"
    [after] = await tickets(wx_app)
    assert (after.state, after.satisfaction) == ("resolved", None)  # the reporter's to decide


async def test_file_anyway_bad_numbers_and_a_closed_match_store_nothing(
    wx: WeChatEmulator,
    wx_app: WeChatApp,
    tg_app: SnapreportApp,
    follower: WeChatUser,
    neighbour: WeChatUser,
) -> None:
    ticket = await file_first(wx, wx_app, follower)
    assert ticket.id is not None
    await draft_with_photo(wx, neighbour, category="3")
    await say(neighbour, "1", "已有类似的举报正在办理")  # 1 confirms at the preview
    [before] = await drafts(wx_app)
    assert before.state == "ReportDraft:wechat_matching"
    await say(neighbour, "4", "请回复 1 到 1 之间的数字")
    await say(neighbour, "好像是", "请回复 1 到 1 之间的数字")
    [after] = await drafts(wx_app)
    assert (after.state, after.data) == (before.state, before.data)

    # Closed meanwhile: joining is refused, the draft stays at the matches.
    await staff_action(tg_app, ticket.id, action="reject", text="不属于受理范围")
    await say(neighbour, "1", "无法加入该案件")
    [kept] = await drafts(wx_app)
    assert (kept.state, kept.data) == (before.state, before.data)
    assert await supporters(wx_app) == []

    filed = await say(neighbour, "确认", "您的举报已提交")
    assert ticket.code not in filed
    assert len(await tickets(wx_app)) == 2 and await drafts(wx_app) == []
    assert await supporters(wx_app) == []


async def test_praise_end_to_end_reaches_the_unit_and_files_no_ticket(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    tax = await add_department(wx_app.session_factory, "市税务局")
    await add_department(wx_app.session_factory, "市交通运输局")
    prompt = await say(follower, "表扬", "表扬 第 1/3 步")
    assert "市税务局" in prompt and "不清楚" not in prompt
    await say(follower, "税务", "表扬 第 2/3 步")
    await say(follower, "窗口工作人员耐心细致，帮我一次办好", "表扬 第 3/3 步")
    await follower.send_image(wx.add_media(jpeg_bytes(seed=5)))
    await follower.expect("已收到 1 张照片")
    preview = await say(follower, "下一步", "请核对您的表扬")
    assert "被表扬单位：市税务局" in preview and "照片：1 张" in preview
    thanks = await say(follower, "确认", "您的表扬已转达市税务局")
    assert "SR-" not in thanks and "<" not in thanks

    async with wx_app.session_factory() as session:
        [praise] = await session.scalars(select(Praise))
        assert (praise.department_id, praise.channel) == (tax, "wechat")
        assert praise.description == "窗口工作人员耐心细致，帮我一次办好"
        assert len(list(await session.scalars(select(PraisePhoto)))) == 1
        reporter = await session.get(Reporter, praise.reporter_id)
        assert reporter is not None and reporter.channel_address == follower.open_id
        # The unit has no chats yet: the administrators hear of it, without the sender.
        notices = list(
            await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.purpose) == "praise")
            )
        )
    assert {n.chat_id for n in notices} == {ADMIN_ID}
    assert all(follower.open_id not in str(n.payload) for n in notices)
    assert await tickets(wx_app) == [] and await drafts(wx_app) == []


async def test_praise_bad_input_is_answered_and_stores_nothing(
    wx_app: WeChatApp, follower: WeChatUser
) -> None:
    tax = await add_department(wx_app.session_factory, "市税务局")
    await say(follower, "我要举报", "第 1/6 步")
    await say(follower, "表扬", "您有一条正在填写的举报")  # the report is kept
    [report] = await drafts(wx_app)
    assert report.state == "ReportDraft:wechat_choosing_category"
    await say(follower, "取消", "举报已取消")

    units = await say(follower, "表扬", "表扬 第 1/3 步")
    count = len(re.findall(r"^\d+ ", units, re.MULTILINE))
    await say(follower, "0", f"请回复 1 到 {count} 之间的数字")  # no 不清楚 for a praise
    await say(follower, "不存在的单位", "没有名称包含")
    await say(follower, "市税务局", "表扬 第 2/3 步")
    await say(follower, "好", "5–2000")
    await say(follower, "办事效率很高，态度也好", "表扬 第 3/3 步")
    await follower.send_location(31.2, 121.4, "人民广场")
    await follower.expect("表扬无需位置")
    await say(follower, "好的", "表扬 第 3/3 步")
    await say(follower, "1", "请核对您的表扬")
    await say(follower, "也许", "请回复 1 到 2 之间的数字")
    [before] = await drafts(wx_app)

    async with wx_app.session_factory() as session, session.begin():
        await session.execute(
            update(Department).where(col(Department.id) == tax).values(archived=True)
        )
    await say(follower, "确认", "该单位不在名录中")  # gone meanwhile: refused whole
    [after] = await drafts(wx_app)
    assert (after.state, after.data) == (before.state, before.data)
    await say(follower, "取消", "表扬已取消")
    async with wx_app.session_factory() as session:
        assert list(await session.scalars(select(Praise))) == []
        assert list(await session.scalars(select(FsmRecord))) == []
