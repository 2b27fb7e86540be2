"""/healthz, /readyz and /metrics of a running app, and the metrics' own rules: a registry
per app, counts cached between scrapes, and no user id in any label."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram.types import Message, Update
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from bot.app import SnapreportApp
from bot.metrics import AppMetrics, HandlerTrace
from bot.ops_http import Ops, ops_app
from config.settings import Settings
from emulator.client import ChatUser
from outbox.dispatcher import Outcome
from storage.db import create_engine
from storage.media import LocalMediaStore, MediaStore
from storage.migrate import upgrade
from storage.models import InboxUpdate
from storage.ops import OpsCounts
from storage.s3media import S3MediaStore
from tests.conftest import ADMIN_ID, SUPERVISOR_ID, webhook_settings
from tests.conversations.steps import file_report
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, free_port
from tickets.clock import ManualClock

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def ops_url(app: SnapreportApp, path: str) -> str:
    return f"http://{app.settings.metrics_host}:{app.settings.metrics_port}{path}"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def all_updates_handled(app: SnapreportApp, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while True:
            async with app.session_factory() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(col(InboxUpdate.handled_at).is_(None))
                )
            if not pending:
                return
            await asyncio.sleep(0.02)  # polling the database, not waiting for time


async def scrape_once_sent(app: SnapreportApp, within: float = 5.0) -> Samples:
    """The metrics once the outbox has counted a send: the emulator shows a message before
    the bot has read Telegram's answer to it, and the count follows that answer."""
    async with asyncio.timeout(within):
        while True:
            status, text = await get(ops_url(app, "/metrics"))
            assert status == 200
            found = samples(text)
            if value(found, "snapreport_outbox_sends_total", outcome="sent") >= 1:
                return found
            await asyncio.sleep(0.02)  # polling the endpoint, not waiting for time


def samples(exposition: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def test_webhook_mode_serves_the_probes_on_the_webhook_port(
    settings: Settings, clock: ManualClock
) -> None:
    port = free_port()
    application = SnapreportApp(webhook_settings(settings, port, metrics_port=None), clock=clock)
    await application.start()
    try:
        assert (await get(f"http://127.0.0.1:{port}/healthz"))[0] == 200
        status, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "snapreport_scheduler_leader 1.0" in text
    finally:
        await application.stop()


async def test_healthz_and_readyz_answer_on_the_metrics_port(app: SnapreportApp) -> None:
    status, body = await get(ops_url(app, "/healthz"))
    assert status == 200 and "alive" in body

    status, body = await get(ops_url(app, "/readyz"))
    assert status == 200, body
    assert '"database": "ok"' in body and '"media": "ok"' in body
    assert "redis" not in body  # REDIS_URL unset: not a dependency of this replica


async def test_metrics_count_a_report_without_any_user_id(
    app: SnapreportApp, citizen: ChatUser, supervisor: ChatUser, admin: ChatUser
) -> None:
    code = await file_report(citizen)
    await supervisor.expect(code)  # the alert went through the outbox
    # The last press is marked handled just after its answer went out: scrape after that.
    await all_updates_handled(app)

    found = await scrape_once_sent(app)  # the alert's send counted, or a timeout fails

    photo = value(
        found, "snapreport_updates_total",
        channel="telegram", type="message", handler="reporter.add_photo",
    )  # fmt: skip
    assert photo >= 1
    buttons = sum(
        v for (name, labels), v in found.items()
        if name == "snapreport_updates_total" and ("type", "callback_query") in labels
    )  # fmt: skip
    assert buttons >= 1
    assert value(
        found, "snapreport_handler_seconds_count",
        channel="telegram", type="message", handler="reporter.add_photo",
    ) == photo  # fmt: skip
    assert value(found, "snapreport_tickets", state="new") == 1
    assert value(found, "snapreport_tickets", state="closed") == 0
    assert value(found, "snapreport_outbox_sends_total", outcome="rate_limited") == 0
    assert value(found, "snapreport_scheduler_leader") == 1
    assert value(found, "snapreport_inbox_backlog") == 0
    assert value(found, "snapreport_tickets_overdue") == 0
    # No label value anywhere names a person who talked to the bot.
    ids = {str(citizen.id), str(supervisor.id), str(admin.id), str(ADMIN_ID), str(SUPERVISOR_ID)}
    label_values = {v for _, labels in found for _, v in labels}
    assert not {v for v in label_values if any(i in v for i in ids)}


# -- /readyz failing, on a bare Ops ------------------------------------------------------------


@pytest.fixture
def metrics() -> AppMetrics:
    async def no_counts() -> OpsCounts:
        return OpsCounts(at=AT)

    return AppMetrics(counts=no_counts, is_leader=lambda: False)


async def readyz(ops: Ops) -> tuple[int, dict[str, Any]]:
    server = TestServer(ops_app(ops), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http, http.get(server.make_url("/readyz")) as r:
            return r.status, await r.json()
    finally:
        await server.close()


@pytest.fixture
async def migrated(tmp_path: Path) -> AsyncIterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    yield url


async def test_readyz_refuses_a_database_behind_the_migrations(
    tmp_path: Path, metrics: AppMetrics
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    await asyncio.to_thread(upgrade, url, "0001")
    engine = create_engine(url)
    try:
        status, body = await readyz(Ops(engine, LocalMediaStore(tmp_path / "m"), metrics))
    finally:
        await engine.dispose()

    assert status == 503 and body["status"] == "not ready"
    assert "schema at 0001" in body["checks"]["database"]
    assert body["checks"]["media"] == "ok"


async def test_readyz_names_a_missing_bucket_and_a_silent_redis(
    migrated: str, metrics: AppMetrics, s3: S3Server
) -> None:
    store: MediaStore = S3MediaStore(
        "never-created", endpoint_url=s3.url, access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY, region=REGION,
    )  # fmt: skip
    engine = create_engine(migrated)
    redis_url = f"redis://:pw-not-shown@127.0.0.1:{free_port()}/0"
    try:
        status, body = await readyz(Ops(engine, store, metrics, redis_url=redis_url))
    finally:
        await engine.dispose()

    assert status == 503
    checks = body["checks"]
    assert checks["database"] == "ok"
    assert "never-created" in checks["media"]
    assert checks["redis"].startswith("unreachable")
    assert "pw-not-shown" not in str(body)


async def test_readyz_is_ready_with_a_reachable_bucket(
    migrated: str, metrics: AppMetrics, s3: S3Server, bucket: str
) -> None:
    store = S3MediaStore(
        bucket, endpoint_url=s3.url, access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY, region=REGION,
    )  # fmt: skip
    engine = create_engine(migrated)
    try:
        status, body = await readyz(Ops(engine, store, metrics))
    finally:
        await engine.dispose()
    assert status == 200, body


# -- AppMetrics --------------------------------------------------------------------------------


class Source:
    """Counts as a database would give them, and how often they were asked for."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    async def __call__(self) -> OpsCounts:
        self.calls += 1
        if self.fail:
            raise OperationalError("SELECT", {}, Exception("database is down"))
        return OpsCounts(at=AT, inbox_backlog=self.calls, tickets_by_state={"new": 3})


async def test_database_counts_are_cached_between_scrapes() -> None:
    source, now = Source(), [100.0]
    metrics = AppMetrics(
        counts=source, is_leader=lambda: True, cache_seconds=10, monotonic=lambda: now[0]
    )

    first = samples((await metrics.render()).decode())
    now[0] += 9.9
    await asyncio.gather(metrics.render(), metrics.render())
    assert source.calls == 1
    now[0] += 0.2
    second = samples((await metrics.render()).decode())

    assert source.calls == 2
    assert value(first, "snapreport_inbox_backlog") == 1
    assert value(second, "snapreport_inbox_backlog") == 2
    assert value(second, "snapreport_tickets", state="new") == 3


async def test_a_failed_refresh_keeps_the_last_counts_and_is_counted() -> None:
    source, now = Source(), [0.0]
    metrics = AppMetrics(counts=source, is_leader=lambda: False, monotonic=lambda: now[0])
    await metrics.render()
    source.fail, now[0] = True, 60.0

    found = samples((await metrics.render()).decode())

    assert value(found, "snapreport_inbox_backlog") == 1
    assert value(found, "snapreport_metrics_refresh_errors_total") == 1
    assert value(found, "snapreport_scheduler_leader") == 0


async def test_each_app_counts_on_its_own_registry() -> None:
    first = AppMetrics(counts=Source(), is_leader=lambda: False)
    second = AppMetrics(counts=Source(), is_leader=lambda: False)
    update = Update(update_id=1, message=Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi"}
    ))  # fmt: skip

    first.observe_update(update, HandlerTrace("start.start"), 0.02)
    first.outbox_outcome(Outcome.RATE_LIMITED)

    one, other = (
        samples((await first.render()).decode()),
        samples((await second.render()).decode()),
    )
    labels = {"channel": "telegram", "type": "message", "handler": "start.start"}
    assert value(one, "snapreport_updates_total", **labels) == 1
    assert ("snapreport_updates_total", tuple(sorted(labels.items()))) not in other
    assert value(one, "snapreport_outbox_sends_total", outcome="rate_limited") == 1
    assert value(other, "snapreport_outbox_sends_total", outcome="rate_limited") == 0
