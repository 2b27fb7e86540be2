"""A place's QR code on WeChat: `snapreport qr --channel wechat` makes it, a scan files there."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlmodel import col

from bot.wechat_app import WeChatApp
from config.settings import Settings
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from storage.models import Department, FsmRecord, SourceTag, Ticket
from storage.routes_file import register_tag
from tests.cli.test_run_command import project_env, run_cli
from tests.imagefactory import jpeg_bytes

PLACE = "市民服务中心一楼"
DEPARTMENT = "市政务服务中心"


async def say(user: WeChatUser, text: str, expected: str) -> str:
    await user.send_text(text)
    return await user.expect(expected)


def wechat_env(wx: WeChatEmulator, tmp_path: Path) -> dict[str, str]:
    return project_env(tmp_path) | {
        "WECHAT_APP_ID": wx.config.app_id,
        "WECHAT_APP_SECRET": wx.config.app_secret,
        "WECHAT_API_URL": wx.url,
    }


async def test_qr_for_wechat_asks_the_account_for_a_code_whose_scene_is_the_tag(
    wx: WeChatEmulator, tmp_path: Path
) -> None:
    out = tmp_path / "posters"
    args = ("qr", "--channel", "wechat", "--place", PLACE, "--tag", "hall_01", "--out", str(out))
    code, output = await run_cli(*args, env=wechat_env(wx, tmp_path), cwd=tmp_path)

    assert code == 0, output
    found = re.search(r"link:\s+(http://weixin\.qq\.com/q/(\S+))", output)
    assert found is not None, output
    assert wx.qrcodes[found.group(2)] == "hall_01"  # a permanent code, its scene the tag
    with Image.open(out / "hall_01.png") as poster:
        assert poster.width >= 1000


async def test_qr_for_wechat_refused_by_the_api_says_so_and_registers_nothing(
    wx: WeChatEmulator, tmp_path: Path
) -> None:
    env = wechat_env(wx, tmp_path) | {"WECHAT_APP_SECRET": "not-the-secret"}
    args = ("qr", "--channel", "wechat", "--place", PLACE, "--tag", "hall_02")
    code, output = await run_cli(*args, "--out", str(tmp_path), env=env, cwd=tmp_path)

    assert code == 2 and "WeChat refused it" in output, output
    assert wx.qrcodes == {} and not (tmp_path / "hall_02.png").exists()


async def test_qr_for_wechat_without_the_app_settings_names_them(tmp_path: Path) -> None:
    args = ("qr", "--channel", "wechat", "--place", PLACE, "--tag", "hall_03")
    code, output = await run_cli(*args, env=project_env(tmp_path), cwd=tmp_path)
    assert code == 2 and "WECHAT_APP_ID" in output, output


async def test_a_follower_who_scans_a_place_code_reports_there(
    wx: WeChatEmulator, wx_app: WeChatApp, wx_settings: Settings, follower: WeChatUser
) -> None:
    await register_tag(wx_settings, tag="hall_01", place=PLACE, department=DEPARTMENT)
    await say(follower, "我要举报", "第 1/6 步")
    # Scanned mid-draft: the draft stays at its step and now points at the place.
    await follower.scan("hall_01")
    pointed = await follower.expect(f"举报地点：{PLACE}")
    assert "第 1/6 步" in pointed
    await say(follower, "3", "反映的是哪个单位")
    await say(follower, "0", "第 2/6 步")
    await say(follower, "窗口工作人员态度恶劣，拒绝解释办事流程", "第 3/6 步")
    await follower.send_image(wx.add_media(jpeg_bytes(seed=1)))
    await follower.expect("已收到 1 张照片")
    place_step = await say(follower, "下一步", "第 4/6 步")
    assert PLACE in place_step
    await say(follower, "跳过", "第 5/6 步")  # skipping keeps the scanned place
    preview = await say(follower, "匿名", "第 6/6 步")
    assert PLACE in preview
    filed = await say(follower, "1", "您的举报已提交")
    found = re.search(r"SR-[0-9A-Z-]+", filed)
    assert found is not None

    async with wx_app.session_factory() as session:
        ticket = await session.scalar(select(Ticket).where(col(Ticket.code) == found.group()))
        assert ticket is not None
        assert (ticket.source_tag, ticket.place_text) == ("hall_01", PLACE)
        department = await session.get(Department, ticket.department_id)
        assert department is not None and department.name == DEPARTMENT  # the tag's route


async def test_following_from_a_place_code_starts_the_report_there(
    wx_app: WeChatApp, wx_settings: Settings, follower: WeChatUser
) -> None:
    await register_tag(wx_settings, tag="gate_7", place="七号门岗", department=None)
    await follower.subscribe("gate_7")
    welcome = await follower.expect("感谢关注")
    assert "举报地点：七号门岗" in welcome and "第 1/6 步" in welcome


async def test_a_code_naming_no_place_is_said_so_and_starts_nothing(
    wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.scan("gone_away")
    await follower.expect("这个二维码没有对应的地点")
    await follower.subscribe("bad scene!")  # not even a tag's shape
    await follower.expect("这个二维码没有对应的地点")
    async with wx_app.session_factory() as session:
        assert list(await session.scalars(select(FsmRecord))) == []
        assert list(await session.scalars(select(SourceTag))) == []
