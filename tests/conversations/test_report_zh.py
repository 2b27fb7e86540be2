"""The default language: a Chinese-speaking citizen files a report and looks it up (smoke)."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser
from tests.conversations.steps import ticket_by_code
from tests.imagefactory import jpeg_bytes


async def test_chinese_citizen_files_a_report_and_checks_its_status(
    citizen_zh: ChatUser, app: SnapreportApp
) -> None:
    await citizen_zh.send_photo(jpeg_bytes(seed=80))
    await citizen_zh.expect("已收到 1 张照片")
    await citizen_zh.press("下一步")
    await citizen_zh.expect("第 2/5 步")
    await citizen_zh.send("窗口三号的工作人员上班时间一直在玩手机游戏")
    await citizen_zh.expect("第 3/5 步")
    await citizen_zh.press("上班玩手机")
    await citizen_zh.expect("反映的是哪个单位")
    await citizen_zh.press("不清楚")
    await citizen_zh.expect("第 4/5 步")
    await citizen_zh.press("跳过")
    await citizen_zh.expect("第 5/5 步")
    await citizen_zh.press("匿名")
    preview = await citizen_zh.expect("请核对举报内容")
    assert "上班玩手机/干私事" in preview.content
    await citizen_zh.press("确认提交")
    filed = await citizen_zh.expect("举报编号：")
    code = filed.content.split("举报编号：")[1].split()[0]

    assert (await ticket_by_code(app, code)).category == "idle"
    await citizen_zh.command("status", code)
    await citizen_zh.expect("状态：待受理")
