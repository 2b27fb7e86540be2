"""A WeChat push names its follower only while it waits: keys hashed, OpenID and XML
encrypted, both wiped once handled, the row purged after the inbox retention; a copy of
the database after a real-name report names nobody."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.wechat_app import WeChatApp
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from scheduler.retention import RetentionPolicy, purge
from storage.wechat import WeChatPush
from tests.conversations.test_identity_at_rest import sqlite_dump
from tests.factories import rows_of
from tests.imagefactory import jpeg_bytes
from tickets.clock import ManualClock

NAME, PHONE = "Wangmeihua Xiuying", "13912345678"


async def pushes(app: WeChatApp) -> list[WeChatPush]:
    return await rows_of(app.session_factory, WeChatPush)


async def test_a_handled_push_keeps_only_its_hashed_key(
    wx_app: WeChatApp, follower: WeChatUser, clock: ManualClock
) -> None:
    await follower.send_text("我要举报")
    await follower.expect("第 1/6 步")
    await wx_app.service.idle()
    [row] = await pushes(wx_app)
    assert row.handled_at is not None
    assert (row.open_id, row.xml, row.replies) == (None, None, None)
    assert follower.open_id not in row.dedup_key and not row.dedup_key.startswith("msg:")

    # WeChat's retry of the same push is still recognised by the hash, and not handled again.
    await follower.redeliver()
    await wx_app.service.idle()
    assert len(await pushes(wx_app)) == 1

    policy = RetentionPolicy(inbox=timedelta(hours=24))
    media = None
    clock.advance(timedelta(hours=23))
    report = await purge(wx_app.session_factory, clock=clock, media=media, policy=policy)
    assert report.counts["wechat_pushes"] == 0
    clock.advance(timedelta(hours=2))
    report = await purge(wx_app.session_factory, clock=clock, media=media, policy=policy)
    assert report.counts["wechat_pushes"] == 1
    assert await pushes(wx_app) == []


async def test_a_database_copy_after_a_real_name_wechat_report_names_nobody(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    steps = [
        ("我要举报", "第 1/6 步"),
        ("3", "反映的是哪个单位"),
        ("0", "第 2/6 步"),
        ("窗口工作人员态度恶劣，拒绝解释", "第 3/6 步"),
    ]
    for text, expected in steps:
        await follower.send_text(text)
        await follower.expect(expected)
    await follower.send_image(wx.add_media(jpeg_bytes(seed=3)))
    await follower.expect("已收到 1 张照片")
    for text, expected in [
        ("下一步", "第 4/6 步"),
        ("跳过", "第 5/6 步"),
        ("实名", "2–64"),
        (NAME, "5–20"),
        (PHONE, "第 6/6 步"),
        ("1", "您的举报已提交"),
    ]:
        await follower.send_text(text)
        await follower.expect(expected)
    await wx_app.service.idle()

    url = make_url(wx_app.settings.database_url)
    assert url.database is not None
    dump = await asyncio.to_thread(sqlite_dump, Path(url.database))
    assert "窗口工作人员态度恶劣".encode() in dump  # a real copy: what is not identity is there
    leaked = [secret for secret in (follower.open_id, NAME, PHONE) if secret.encode() in dump]
    assert leaked == []
