"""The `/wechat` endpoint driven by the WeChat emulator: verification, modes, refusals, retries."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.wechat_app import WeChatApp, WeChatReplies
from emulator.wechat.client import WeChatUser
from emulator.wechat.server import WeChatEmulator
from storage.models import SecurityEvent
from storage.wechat import WeChatPush
from tests.emulator.test_webhook import serve
from tests.factories import rows_of
from wechat.messages import Push, TextMessage
from wechat.signature import url_signature


async def security_events(app: WeChatApp) -> list[SecurityEvent]:
    return await rows_of(app.session_factory, SecurityEvent)


async def push_rows(app: WeChatApp) -> list[WeChatPush]:
    return await rows_of(app.session_factory, WeChatPush)


async def test_url_verification_echoes_echostr_exactly(
    wx: WeChatEmulator, wx_app: WeChatApp
) -> None:
    assert await wx.verify_url(echostr="7403815237216489472") == (200, "7403815237216489472")
    assert await security_events(wx_app) == []


async def test_url_verification_with_a_wrong_token_is_refused_and_recorded(
    wx: WeChatEmulator, wx_app: WeChatApp
) -> None:
    status, body = await wx.verify_url(echostr="123", token="WrongTokenWrongTokenWrongToken00")
    assert status == 403 and "123" not in body
    [event] = await security_events(wx_app)
    assert event.kind == "wechat_forged_request"


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_text_push_is_answered_success_and_starts_a_report(
    wx: WeChatEmulator, follower: WeChatUser, mode: str
) -> None:
    await wx.set_mode(mode)  # type: ignore[arg-type]
    assert await follower.send_text("路口有人乱收费") == ["200 success"]
    await follower.expect("第 1/6 步")
    assert any("路口有人乱收费" in line for line in wx.transcript)


async def test_safe_mode_push_with_a_forged_msg_signature_is_refused(
    wx: WeChatEmulator, wx_app: WeChatApp, http: aiohttp.ClientSession
) -> None:
    assert wx.bot_url is not None
    token = wx.config.token
    query = {
        "signature": url_signature(token, "1", "n"),
        "timestamp": "1",
        "nonce": "n",
        "encrypt_type": "aes",
        "msg_signature": "0" * 40,
    }
    body = "<xml><ToUserName>gh</ToUserName><Encrypt>QUJD</Encrypt></xml>"
    async with http.post(wx.bot_url, params=query, data=body) as answer:
        assert answer.status == 403
    assert [e.detail for e in await security_events(wx_app)] == ["bad msg_signature on a push"]
    assert await push_rows(wx_app) == []


async def test_push_with_a_bad_signature_is_403_and_a_security_event(
    wx: WeChatEmulator, wx_app: WeChatApp, http: aiohttp.ClientSession
) -> None:
    assert wx.bot_url is not None
    query = {"signature": "f" * 40, "timestamp": "1", "nonce": "n", "openid": "oForger"}
    xml = (
        "<xml><ToUserName>gh</ToUserName><FromUserName>oAdmin</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content>"
        "<MsgId>1</MsgId></xml>"
    )
    async with http.post(wx.bot_url, params=query, data=xml) as answer:
        assert answer.status == 403
    [event] = await security_events(wx_app)
    assert event.detail == "bad signature on a push" and event.actor_hash != "oForger"
    assert await push_rows(wx_app) == []


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Content>unclosed</xml>",
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
        "<xml><MsgType>text</MsgType></xml>",
    ],
    ids=["malformed", "entities", "incomplete"],
)
async def test_unreadable_signed_push_is_400_never_500(
    wx: WeChatEmulator, wx_app: WeChatApp, http: aiohttp.ClientSession, body: str
) -> None:
    assert wx.bot_url is not None
    query = {"signature": url_signature(wx.config.token, "1", "n"), "timestamp": "1", "nonce": "n"}
    async with http.post(wx.bot_url, params=query, data=body) as answer:
        assert answer.status == 400
    assert await push_rows(wx_app) == []


async def test_a_retried_push_is_stored_and_handled_once(
    wx: WeChatEmulator, wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.send_text("第一次")
    await follower.expect("第 1/6 步")
    assert await follower.redeliver() == ["200 success", "200 success"]
    await wx_app.service.idle()
    assert len(await push_rows(wx_app)) == 1
    assert len(await follower.received()) == 1  # no second answer


async def test_success_is_answered_before_the_handler_runs(
    wx: WeChatEmulator, wx_settings: object, clock: object, http: aiohttp.ClientSession
) -> None:
    from config.settings import Settings
    from tickets.clock import ManualClock

    assert isinstance(wx_settings, Settings) and isinstance(clock, ManualClock)
    release = asyncio.Event()
    seen: list[str] = []

    async def slow(push: Push, replies: WeChatReplies) -> None:
        await release.wait()  # a slow citizen flow: a photo download, a big query
        assert isinstance(push, TextMessage)
        seen.append(push.content)
        await replies.text(push.from_user, "处理完毕")

    app = WeChatApp(wx_settings, clock=clock, handler=slow)
    await app.start()
    try:
        wx.bot_url = f"http://127.0.0.1:{wx_settings.webhook_port}/wechat"
        user = WeChatUser(http, wx.url, "oSlow")
        assert await user.send_text("慢慢来") == ["200 success"]  # answered, not retried
        [row] = await push_rows(app)
        assert row.handled_at is None and seen == []
        release.set()
        await app.service.idle()
        await user.expect("处理完毕")
        [row] = await push_rows(app)
        assert row.handled_at is not None and seen == ["慢慢来"]
    finally:
        await app.stop()


async def test_a_push_stored_but_not_handled_is_handled_after_a_restart(
    wx: WeChatEmulator, wx_settings: object, clock: object, http: aiohttp.ClientSession
) -> None:
    from config.settings import Settings
    from tickets.clock import ManualClock

    assert isinstance(wx_settings, Settings) and isinstance(clock, ManualClock)

    async def crash(push: Push, replies: WeChatReplies) -> None:
        raise asyncio.CancelledError  # the process dies mid-handler

    first = WeChatApp(wx_settings, clock=clock, handler=crash)
    await first.start()
    wx.bot_url = f"http://127.0.0.1:{wx_settings.webhook_port}/wechat"
    user = WeChatUser(http, wx.url, "oRestart")
    assert await user.send_text("别丢了") == ["200 success"]
    await first.stop()
    second = WeChatApp(wx_settings, clock=clock)
    await second.start()
    try:
        await user.expect("第 1/6 步")
        await second.service.idle()
        [row] = await push_rows(second)
        assert row.handled_at is not None
    finally:
        await second.stop()


async def test_subscribe_from_a_qr_scene_is_welcomed(follower: WeChatUser) -> None:
    assert await follower.subscribe("gate7") == ["200 success"]
    await follower.expect("感谢关注")


async def test_image_location_and_click_are_stored_once_each(
    wx_app: WeChatApp, follower: WeChatUser
) -> None:
    await follower.send_image("media-1", "http://example.invalid/p.jpg")
    await follower.send_location(31.23, 121.47, "上海市黄浦区")
    await follower.click("REPORT")
    await follower.redeliver()
    await wx_app.service.idle()
    rows = await push_rows(wx_app)
    assert sorted(r.msg_type for r in rows) == ["event", "image", "location"]
    assert all(r.handled_at is not None for r in rows)


async def test_a_push_without_an_answer_in_time_is_retried_three_times(
    wx: WeChatEmulator,
) -> None:
    from aiohttp import web

    calls: list[str] = []
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        calls.append(await request.text())
        await never.wait()
        return web.Response(text="success")

    runner, wx.bot_url = await serve(hang, "/wechat")
    try:
        wx.config.answer_timeout = 0.05  # WeChat's 5 s, shrunk: no real waiting in tests
        delivery = await wx.push("oNobody", {"MsgType": "text", "Content": "x", "MsgId": 5})
        assert delivery.attempts == ["timeout"] * 4 and not delivery.answered
        assert len(calls) == 4 and len(set(calls)) == 1  # the same push each time
    finally:
        never.set()
        await runner.cleanup()


async def test_push_count_uses_the_unique_key(wx_app: WeChatApp) -> None:
    async with wx_app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(WeChatPush)) == 0
    first = await wx_app.service.inbox.add(dedup_key="msg:1", open_id="o", msg_type="text", xml="")
    again = await wx_app.service.inbox.add(dedup_key="msg:1", open_id="o", msg_type="text", xml="")
    assert first is not None and again is None
