"""The Official Account's menu: `snapreport wechat-menu` installs it, its buttons work."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.wechat_app import WeChatApp
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from storage.models import FsmRecord
from tests.cli.test_run_command import run_cli
from tests.wechat.test_place_qr import wechat_env


async def test_wechat_menu_installs_three_click_buttons_in_chinese(
    wx: WeChatEmulator, tmp_path: Path
) -> None:
    code, output = await run_cli("wechat-menu", env=wechat_env(wx, tmp_path), cwd=tmp_path)
    assert code == 0, output
    assert "随手拍 | 我的举报 | 使用说明" in output
    assert wx.menu is not None
    buttons = [(b["type"], b["name"], b["key"]) for b in wx.menu["button"]]
    assert buttons == [
        ("click", "随手拍", "REPORT"),
        ("click", "我的举报", "MY_TICKETS"),
        ("click", "使用说明", "HELP"),
    ]


async def test_the_menus_buttons_start_a_report_list_reports_and_explain(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.click("MY_TICKETS")
    await follower.expect("您还没有举报")
    await follower.click("HELP")
    await follower.expect("可以匿名举报")
    await follower.click("REPORT")
    await follower.expect("第 1/6 步")
    await follower.send_text("2")
    await follower.expect("反映的是哪个单位")
    # Pressed again mid-report (a minute on: the same press within a second is a retry to
    # WeChat): the step the follower is at, not a new report.
    wx.now += 60
    await follower.click("REPORT")
    await follower.expect("反映的是哪个单位")
    await follower.click("AN_OLD_BUTTON")  # a key of an earlier menu: nothing is said
    await follower.send_text("0")
    await follower.expect("第 2/6 步")
    async with wx_app.session_factory() as session:
        assert len(list(await session.scalars(select(FsmRecord)))) == 1
