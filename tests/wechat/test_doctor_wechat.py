"""`snapreport doctor` checks the Official Account against the WeChat emulator."""

from __future__ import annotations

from pydantic import SecretStr

from bot.doctor import Doctor, Status, check_api_url, check_token, check_wechat
from config.settings import Settings
from emulator.wechat.server import WeChatEmulator


async def test_a_working_account_is_one_ok_line(wx: WeChatEmulator, wx_settings: Settings) -> None:
    result = await check_wechat(Doctor(wx_settings))
    assert result.status is Status.OK, result.line()
    assert wx.config.app_id in result.detail and "access token" in result.detail
    assert wx.token_fetches == 1


async def test_a_refused_secret_names_the_settings_to_check(wx_settings: Settings) -> None:
    settings = wx_settings.model_copy(update={"wechat_app_secret": SecretStr("wrong-secret")})
    result = await check_wechat(Doctor(settings))
    assert result.status is Status.FAIL and "40125" in result.detail
    assert "WECHAT_APP_SECRET" in result.fix and not result.fatal


async def test_a_weak_token_is_fatal_and_says_how_to_make_one(wx_settings: Settings) -> None:
    settings = wx_settings.model_copy(update={"wechat_token": SecretStr("short")})
    result = await check_wechat(Doctor(settings))
    assert result.status is Status.FAIL and result.fatal
    assert "WECHAT_TOKEN" in result.detail and result.fix


async def test_without_wechat_the_line_says_not_used() -> None:
    result = await check_wechat(Doctor(Settings(_env_file=None)))
    assert result.status is Status.OK and "not used" in result.detail


async def test_wechat_alone_needs_no_bot_token(wx_settings: Settings) -> None:
    assert wx_settings.bot_token is None
    doctor = Doctor(wx_settings)
    token, api_url = await check_token(doctor), await check_api_url(doctor)
    assert token.status is Status.OK and "WeChat alone" in token.detail
    assert api_url.status is Status.OK and "not used" in api_url.detail


async def test_at_start_up_run_checks_the_settings_without_spending_a_token(
    wx: WeChatEmulator, wx_settings: Settings
) -> None:
    result = await check_wechat(Doctor(wx_settings, fetch_wechat_token=False))
    assert result.status is Status.OK and "settings accepted" in result.detail
    assert wx.token_fetches == 0
