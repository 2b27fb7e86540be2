"""Webhook mode: the emulator delivers updates by POST with the secret header."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.app import InsecureWebhookError, SnapreportApp
from bot.webhook import webhook_app as make_webhook_app
from config.settings import Settings
from emulator.client import EmulatorClient
from tests.conftest import WEBHOOK_SECRET, webhook_settings
from tests.s3server import free_port
from tickets.clock import ManualClock


@pytest.fixture
async def webhook_app(settings: Settings, clock: ManualClock) -> AsyncIterator[SnapreportApp]:
    application = SnapreportApp(webhook_settings(settings, free_port()), clock=clock)
    await application.start()
    yield application
    await application.stop()


async def test_updates_arrive_by_webhook(
    webhook_app: SnapreportApp, client: EmulatorClient
) -> None:
    citizen = await client.chat_user(first_name="Web", language_code="en")
    await citizen.command("help")
    await citizen.expect("/status")
    info = await webhook_app.bot.get_webhook_info()
    assert info.url.endswith("/telegram/webhook")
    assert info.pending_update_count == 0


async def test_webhook_refuses_a_post_without_the_secret(webhook_app: SnapreportApp) -> None:
    import aiohttp

    url = f"{webhook_app.settings.webhook_url}/telegram/webhook"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"update_id": 1}) as response:
            assert response.status == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET[:-1] + "x"}
        async with http.post(url, json={"update_id": 1}, headers=wrong) as response:
            assert response.status == 401
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with http.post(url, json={"not": "an update"}, headers=headers) as response:
            assert response.status == 400


@pytest.mark.parametrize("secret", [None, "s3cret-token"])
async def test_app_refuses_to_start_a_webhook_without_a_strong_secret(
    settings: Settings, clock: ManualClock, secret: str | None
) -> None:
    configured = settings.model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{free_port()}",
            "webhook_secret": SecretStr(secret) if secret else None,
        }
    )
    application = SnapreportApp(configured, clock=clock)
    try:
        with pytest.raises(InsecureWebhookError, match="WEBHOOK_SECRET"):
            await application.start()
    finally:
        await application.stop()


async def test_the_webhook_route_cannot_be_built_without_a_secret() -> None:
    async def receive(update: object) -> None:
        raise AssertionError("nothing may arrive")

    with pytest.raises(ValueError, match="secret"):
        make_webhook_app(receive, secret="", context_bot=None)


async def test_healthz_turns_503_while_updates_cannot_be_stored(
    webhook_app: SnapreportApp,
) -> None:
    import aiohttp
    from sqlalchemy.exc import OperationalError

    async def locked(updates: object) -> list[object]:
        raise OperationalError("INSERT INTO inbox_update", {}, Exception("database is locked"))

    base = webhook_app.settings.webhook_url
    update = {
        "update_id": 77,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}},
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
        webhook_app.inbox.store = locked  # type: ignore[method-assign,assignment]
        async with http.post(f"{base}/telegram/webhook", json=update, headers=headers) as sent:
            assert sent.status == 500  # Telegram retries it later
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 503 and (await response.json())["ok"] is False
