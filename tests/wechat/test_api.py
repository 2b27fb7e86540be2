"""The WeChat API client and outbox adapter against the emulator: tokens, window, quotas."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import aiohttp
import pytest

from bot.wechat_app import WeChatApp, run_channels
from config.settings import Settings
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import TOKEN_SECONDS, WINDOW_SECONDS, WeChatEmulator
from outbox.channel import FailureKind
from outbox.wechat import chat_key, classify
from storage.redisstore import RedisTokenStore, open_redis
from storage.wechat import SqlTokenStore
from tickets.clock import ManualClock
from wechat.api import WeChatApi, WeChatApiError


async def test_token_is_fetched_once_and_shared_through_the_database(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser, clock: ManualClock
) -> None:
    await follower.send_text("一")
    await follower.expect("第 1/6 步")
    await follower.send_text("二")
    await follower.expect("请回复 1 到 12")
    assert wx.token_fetches == 1
    # A second replica on the same database uses the stored token instead of fetching.
    replica = WeChatApi(
        app_id=wx.config.app_id,
        app_secret=wx.config.app_secret,
        store=SqlTokenStore(wx_app.session_factory),
        now=clock.now,
        base_url=wx.url,
    )
    try:
        await replica.send_text(follower.open_id, "来自另一副本")
    finally:
        await replica.close()
    assert wx.token_fetches == 1


async def test_expired_token_is_refreshed_and_the_call_retried_once(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.send_text("一")
    await follower.expect("第 1/6 步")
    # WeChat's clock passes the expiry; ours has not, so the bot still trusts its token.
    wx.now += TOKEN_SECONDS + 1
    await follower.send_text("二")
    await follower.expect("请回复 1 到 12")
    assert wx.token_fetches == 2


async def test_token_is_refreshed_before_it_expires_on_our_clock(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser, clock: ManualClock
) -> None:
    await follower.send_text("一")
    await follower.expect("第 1/6 步")
    clock.advance(timedelta(seconds=TOKEN_SECONDS - 60))
    await follower.send_text("二")
    await follower.expect("请回复 1 到 12")
    assert wx.token_fetches == 2  # refreshed early, not after a refused call


async def test_a_refused_secret_is_an_unauthorized_failure_not_a_loop(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.send_text("一")
    await follower.expect("第 1/6 步")
    wx.config.app_secret = "rotated-on-the-platform"  # our secret no longer works
    wx.now += TOKEN_SECONDS + 1
    with pytest.raises(WeChatApiError) as refused:
        await wx_app.service.api.send_text(follower.open_id, "x")
    assert refused.value.errcode == 40125
    assert classify(refused.value).kind is FailureKind.UNAUTHORIZED
    assert wx.token_fetches == 1  # one refused refresh, no retry storm


async def test_the_48_hour_window_is_enforced_and_keeps_the_message_pending(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.send_text("一")
    await follower.expect("第 1/6 步")
    wx.now += WINDOW_SECONDS - 60
    await wx_app.service.replies.text(follower.open_id, "窗口内")
    await follower.expect("窗口内")
    wx.now += 120  # 48 h and a minute after the follower last wrote
    with pytest.raises(WeChatApiError) as refused:
        await wx_app.service.replies.text(follower.open_id, "窗口外")
    assert refused.value.errcode == 45015
    failure = classify(refused.value)
    assert failure.kind is FailureKind.WINDOW and failure.retry_after > 0  # pending, not dead
    # Template messages are what may reach a follower outside the window.
    await wx_app.service.channel.deliver(
        chat_key(follower.open_id),
        "template",
        {"touser": follower.open_id, "template_id": "TPL1", "data": {"first": "您的举报已受理"}},
        {},
    )
    [*_, template] = await follower.received(3)
    assert template["template_id"] == "TPL1"
    assert template["data"] == {"first": {"value": "您的举报已受理"}}


async def test_a_push_whose_reply_hits_a_rate_limit_stays_pending_for_the_sweep(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser, clock: ManualClock
) -> None:
    from sqlalchemy import select

    from storage.wechat import WeChatPush

    wx.fail_next("/cgi-bin/message/custom/send", 45009)
    await follower.send_text("一")
    await wx_app.service.idle()
    async with wx_app.session_factory() as session:
        [row] = list(await session.scalars(select(WeChatPush)))
    assert row.handled_at is None and row.attempts == 1 and "45009" in (row.last_error or "")
    assert await wx_app.service.sweep() == 0  # not due yet
    clock.advance(timedelta(minutes=11))
    assert await wx_app.service.sweep() == 1
    # The answer decided the first time is sent, not a second step taken on the draft.
    await follower.expect("第 1/6 步")


async def test_media_upload_image_send_qrcode_and_menu(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.send_text("一")
    await follower.expect("第 1/6 步")
    channel = wx_app.service.channel
    sha = "ab" * 32
    payload = {"touser": follower.open_id, "image": f"media:{sha}"}
    assert channel.media_refs(payload) == {sha}
    await channel.deliver(chat_key(follower.open_id), "image", payload, {sha: b"\xff\xd8jpeg"})
    [*_, image] = await follower.received(2)
    assert wx.media[image["image"]["media_id"]] == b"\xff\xd8jpeg"
    api = wx_app.service.api
    code = await api.create_qrcode("gate7")
    assert wx.qrcodes[code.ticket] == "gate7" and code.url.endswith(code.ticket)
    await api.create_menu({"button": [{"type": "click", "name": "随手拍", "key": "REPORT"}]})
    assert wx.menu is not None and wx.menu["button"][0]["key"] == "REPORT"


async def test_snapreport_runs_wechat_alone_without_bot_token(
    wx: WeChatEmulator, wx_settings: Settings, http: aiohttp.ClientSession
) -> None:
    assert wx_settings.bot_token is None
    runner = asyncio.create_task(run_channels(wx_settings))
    wx.bot_url = f"http://127.0.0.1:{wx_settings.webhook_port}/wechat"
    try:
        for _ in range(200):  # start-up includes migrations: wait for the port, not a time
            with contextlib.suppress(aiohttp.ClientError):
                if await wx.verify_url(echostr="up") == (200, "up"):
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the WeChat endpoint never came up")
        user = WeChatUser(http, wx.url, "oAlone")
        assert await user.send_text("只有微信") == ["200 success"]
        await user.expect("第 1/6 步")
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


def test_weak_or_missing_wechat_secrets_refuse_to_start() -> None:
    from config.settings import wechat_problem

    base = {"_env_file": None, "wechat_app_id": "wx1", "wechat_app_secret": "s"}
    assert "WECHAT_TOKEN is not set" in (wechat_problem(Settings(**base)) or "")  # type: ignore[arg-type]
    short = Settings(**base, wechat_token="abc")  # type: ignore[arg-type]
    assert "32" in (wechat_problem(short) or "")
    dull = Settings(**base, wechat_token="ab" * 16)  # type: ignore[arg-type]
    assert "random" in (wechat_problem(dull) or "")
    good = Settings(**base, wechat_token="Ab3dEf7hIj9kLm2nOp4qRs6tUv8wXy0z")  # type: ignore[arg-type]
    assert wechat_problem(good) is None
    assert wechat_problem(Settings(_env_file=None)) is None  # WeChat off
    with pytest.raises(ValueError, match="43"):
        Settings(_env_file=None, wechat_aes_key="tooshort")


async def test_with_redis_the_token_is_shared_through_redis_not_the_database(
    wx: WeChatEmulator, wx_settings: Settings, clock: ManualClock, redis_url: str
) -> None:
    app = WeChatApp(wx_settings.model_copy(update={"redis_url": redis_url}), clock=clock)
    await app.start()
    try:
        token = await app.service.api.access_token()
        assert wx.token_fetches == 1
        assert await SqlTokenStore(app.session_factory).load(wx.config.app_id) is None
        # A second replica on the same Redis uses the token stored there.
        shared = open_redis(redis_url)
        replica = WeChatApi(
            app_id=wx.config.app_id,
            app_secret=wx.config.app_secret,
            store=RedisTokenStore(shared),
            now=clock.now,
            base_url=wx.url,
        )
        try:
            assert await replica.access_token() == token
        finally:
            await replica.close()
            await shared.aclose()
        assert wx.token_fetches == 1
    finally:
        await app.stop()
