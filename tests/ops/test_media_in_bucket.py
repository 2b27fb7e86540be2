"""A replica with MEDIA_URL keeps photos in the bucket: intake writes there, the alert and
the readiness probe read there, and nothing lands in MEDIA_DIR."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser
from storage.s3media import S3MediaStore
from tests.conversations.steps import evidence_of, file_report, ticket_by_code
from tests.s3server import S3Server, bucket_media


@pytest.fixture
def settings(settings: Settings, s3: S3Server, bucket: str) -> Settings:
    return settings.model_copy(update=bucket_media(s3, bucket, "evidence"))


async def test_a_report_filed_on_a_bucket_replica_keeps_its_photo_in_the_bucket(
    app: SnapreportApp,
    citizen: ChatUser,
    supervisor: ChatUser,
    s3: S3Server,
    bucket: str,
    settings: Settings,
) -> None:
    assert isinstance(app.media_store, S3MediaStore)

    code = await file_report(citizen)
    await supervisor.expect(code)

    ticket = await ticket_by_code(app, code)
    [evidence] = await evidence_of(app, ticket.id)
    sha, original = evidence.sha256, evidence.original_sha256
    assert original is not None
    assert sorted(s3.list_keys(bucket)) == sorted(
        [
            f"evidence/{sha[:2]}/{sha[2:4]}/{sha}.jpg",
            f"evidence/{sha[:2]}/{sha[2:4]}/{sha}_thumb.jpg",
            f"evidence/{original[:2]}/{original[2:4]}/{original}.orig",  # sealed, beside it
        ]
    )
    assert not await asyncio.to_thread(settings.media_dir.exists)
    url = f"http://{settings.metrics_host}:{settings.metrics_port}/readyz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        body = await response.json()
    assert response.status == 200 and body["checks"]["media"] == "ok"
