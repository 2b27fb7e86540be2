"""A follower files, cancels and looks up reports on WeChat, through the WeChat emulator."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import col

from bot.wechat_app import WeChatApp
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from storage.models import Evidence, FsmRecord, OutboxMessage, Reporter, Ticket
from tests.factories import add_department, rows_of
from tests.imagefactory import jpeg_bytes, text_file
from tests.wechat.conftest import ADMIN_ID


async def say(user: WeChatUser, text: str, expected: str) -> str:
    await user.send_text(text)
    return await user.expect(expected)


async def drafts(app: WeChatApp) -> list[FsmRecord]:
    return await rows_of(app.session_factory, FsmRecord)


async def tickets(app: WeChatApp) -> list[Ticket]:
    return await rows_of(app.session_factory, Ticket)


async def test_anonymous_report_with_two_images_and_a_place_gets_a_code(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await say(follower, "我要举报", "第 1/6 步")
    await say(follower, "3", "反映的是哪个单位")
    await say(follower, "0", "第 2/6 步")
    await say(follower, "窗口工作人员态度恶劣，拒绝解释办事流程", "第 3/6 步")
    for seed in (1, 2):
        await follower.send_image(wx.add_media(jpeg_bytes(seed=seed)))
        await follower.expect(f"已收到 {seed} 张照片")
    await say(follower, "下一步", "第 4/6 步")
    await follower.send_location(31.2304, 121.4737, "上海市黄浦区人民大道200号")
    await follower.expect("第 5/6 步")
    preview = await say(follower, "匿名", "第 6/6 步")
    assert "照片：2 张" in preview and "人民大道200号" in preview
    filed = await say(follower, "1", "您的举报已提交")
    found = re.search(r"SR-[0-9A-Z-]+", filed)
    assert found is not None and f"状态 {found.group()}" in filed

    async with wx_app.session_factory() as session:
        ticket = await session.scalar(select(Ticket).where(col(Ticket.code) == found.group()))
        assert ticket is not None and ticket.id is not None
        assert (ticket.channel, ticket.category, ticket.anonymous) == ("wechat", "rude", True)
        assert (ticket.latitude, ticket.place_text) == (31.2304, "上海市黄浦区人民大道200号")
        evidence = await session.scalars(
            select(Evidence).where(col(Evidence.ticket_id) == ticket.id)
        )
        assert len(list(evidence)) == 2
        reporter = await session.get(Reporter, ticket.reporter_id)
        assert reporter is not None and reporter.channel == "wechat"
        assert reporter.channel_address == follower.open_id
        # The department hears of it on Telegram: with no supervisors, the administrators.
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.ticket_id) == ticket.id)
            )
        )
        assert {(a.chat_id, a.purpose) for a in alerts} >= {(ADMIN_ID, "card")}
    assert await drafts(wx_app) == []


async def test_bad_inputs_get_clear_answers_and_store_nothing(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await say(follower, "你好", "第 1/6 步")
    [before] = await drafts(wx_app)
    await say(follower, "13", "请回复 1 到 12 之间的数字")  # twelve categories by default
    await follower.send_voice()
    await follower.expect("暂不支持语音")
    [after] = await drafts(wx_app)
    assert (after.state, after.data) == (before.state, before.data)
    await say(follower, "不在岗", "反映的是哪个单位")
    await say(follower, "不清楚", "第 2/6 步")
    await say(follower, "太短", "5–2000")
    await say(follower, "工作时间办公室里没有人", "第 3/6 步")
    await follower.send_image(wx.add_media(text_file()))
    await follower.expect("无法识别该文件")
    [draft] = await drafts(wx_app)
    assert (draft.state, draft.data["photos"]) == ("ReportDraft:wechat_adding_photos", [])
    await say(follower, "取消", "举报已取消")
    assert await drafts(wx_app) == [] and await tickets(wx_app) == []


async def test_status_command_answers_in_plain_text(
    wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await say(follower, "我要举报", "第 1/6 步")
    await say(follower, "1", "反映的是哪个单位")
    await say(follower, "0", "第 2/6 步")
    await say(follower, "办事大厅三号窗口长时间无人", "第 3/6 步")
    await say(follower, "1", "第 4/6 步")
    await say(follower, "跳过", "第 5/6 步")
    await say(follower, "1", "第 6/6 步")
    filed = await say(follower, "确认", "您的举报已提交")
    found = re.search(r"SR-[0-9A-Z-]+", filed)
    assert found is not None
    status = await say(follower, f"状态 {found.group()}", "状态：待受理")
    assert status.startswith(found.group()) and "<" not in status
    await say(follower, "状态", "请发送「状态」加查询码")


async def unit_answered_to_preview(follower: WeChatUser, unit_answer: str) -> str:
    """Answer the unit step with `unit_answer`, then describe, pick category 1, skip the
    place and stay anonymous: the preview."""
    await say(follower, unit_answer, "第 2/6 步")
    await say(follower, "办事大厅三号窗口长时间无人", "第 3/6 步")
    await say(follower, "1", "第 4/6 步")
    await say(follower, "跳过", "第 5/6 步")
    return await say(follower, "1", "第 6/6 步")


async def test_the_unit_reported_is_picked_by_typed_name_or_number(
    wx_app: WeChatApp, follower: WeChatUser
) -> None:
    transport = await add_department(wx_app.session_factory, "市交通运输局")
    await add_department(wx_app.session_factory, "市税务局")
    await say(follower, "我要举报", "第 1/6 步")
    prompt = await say(follower, "1", "反映的是哪个单位")
    assert "市交通运输局" in prompt and "0 不清楚" in prompt
    await say(follower, "局", "市税务局")  # two match: the list narrows, the step stays
    await say(follower, "9", "请回复 1 到 2 之间的数字")
    preview = await unit_answered_to_preview(follower, "交通")
    assert "被反映单位：市交通运输局" in preview
    await say(follower, "确认", "您的举报已提交")

    [ticket] = await tickets(wx_app)
    assert ticket.accused_department_id == transport


async def test_a_draft_narrowed_by_an_earlier_version_keeps_its_numbers(
    wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await add_department(wx_app.session_factory, "市交通运输局")
    tax = await add_department(wx_app.session_factory, "市税务局")
    await say(follower, "我要举报", "第 1/6 步")
    await say(follower, "1", "反映的是哪个单位")
    [record] = await drafts(wx_app)
    assert not {"units", "unit_shown"} & record.data.keys()  # read when asked, not stored

    # An earlier version kept the directory and the list shown, narrowed to one unit.
    async with wx_app.session_factory() as session, session.begin():
        row = await session.get(FsmRecord, record.key)
        assert row is not None
        row.data = {**row.data, "units": [[tax, "市税务局"]], "unit_shown": [[tax, "市税务局"]]}
    # Number 1 of the list that follower saw.
    preview = await unit_answered_to_preview(follower, "1")
    assert "被反映单位：市税务局" in preview
    await say(follower, "确认", "您的举报已提交")

    [ticket] = await tickets(wx_app)
    assert ticket.accused_department_id == tax
