"""Fetching a citizen's photo: sizes are checked before a byte is downloaded."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import GetFile
from aiogram.types import File

from handlers.photos import IncomingPhoto, draft_photo, ingest_photo, photo_ref
from storage.media import LocalMediaStore, MediaPhotoIntake
from tests import factories
from tests.imagefactory import jpeg_bytes, phone_jpeg, truncated_jpeg
from tests.keys import TEST_KEYS
from tickets.photos import MB, ImageLimits, ImageRejected, RejectReason

TZ = ZoneInfo("Asia/Shanghai")


class FakeBot:
    """getFile and download_file, as much of `Bot` as `ingest_photo` uses."""

    def __init__(self, data: bytes, *, size: int | None, refuse: str | None = None) -> None:
        self.data, self.size, self.refuse = data, size, refuse
        self.downloads = 0

    async def get_file(self, file_id: str) -> File:
        if self.refuse:
            raise TelegramBadRequest(GetFile(file_id=file_id), self.refuse)
        return File(file_id=file_id, file_unique_id="u", file_size=self.size, file_path="p/1.jpg")

    async def download_file(self, file_path: str, destination: io.BytesIO) -> None:
        self.downloads += 1
        destination.write(self.data)


async def ingest(bot: FakeBot, tmp_path: Path, *, size: int | None = None) -> dict[str, Any]:
    photo = IncomingPhoto("f1", size, as_document=True)
    intake = MediaPhotoIntake(
        LocalMediaStore(tmp_path), limits=ImageLimits(), tz=TZ, keys=TEST_KEYS
    )
    return await ingest_photo(cast(Bot, bot), intake, photo)


async def test_a_photo_is_downloaded_and_stored(tmp_path: Path) -> None:
    bot = FakeBot(jpeg_bytes(seed=1), size=None)

    entry = await ingest(bot, tmp_path)

    assert LocalMediaStore(tmp_path).exists(str(entry["sha256"]))
    assert entry.get("file_id") is None  # a document's file id would resend the EXIF original


async def test_the_original_upload_is_kept_sealed_under_its_own_sha256(tmp_path: Path) -> None:
    upload = phone_jpeg(seed=3)
    entry = await ingest(FakeBot(upload, size=None), tmp_path)

    original_sha = hashlib.sha256(upload).hexdigest()
    assert entry["original_sha256"] == original_sha != entry["sha256"]
    sealed = LocalMediaStore(tmp_path).get_original(original_sha)
    assert b"SnapPhone" not in sealed and upload not in sealed  # the EXIF is not readable
    assert TEST_KEYS.open_original(sealed, sha256=original_sha) == upload


async def test_a_refused_upload_leaves_no_original_behind(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected):
        await ingest(FakeBot(truncated_jpeg(), size=None), tmp_path)

    assert not LocalMediaStore(tmp_path).exists(
        hashlib.sha256(truncated_jpeg()).hexdigest(), suffix=".orig"
    )
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # noqa: ASYNC240


async def test_size_unknown_in_the_message_is_checked_at_getfile(tmp_path: Path) -> None:
    bot = FakeBot(b"", size=21 * MB)

    with pytest.raises(ImageRejected) as refused:
        await ingest(bot, tmp_path)

    assert refused.value.reason is RejectReason.TOO_LARGE and bot.downloads == 0


async def test_telegram_refusing_a_big_file_is_a_clear_rejection(tmp_path: Path) -> None:
    bot = FakeBot(b"", size=None, refuse="Bad Request: file is too big")

    with pytest.raises(ImageRejected) as refused:
        await ingest(bot, tmp_path)

    assert refused.value.reason is RejectReason.TOO_LARGE


async def test_other_telegram_errors_are_not_disguised(tmp_path: Path) -> None:
    bot = FakeBot(b"", size=None, refuse="Bad Request: wrong file_id")

    with pytest.raises(TelegramBadRequest):
        await ingest(bot, tmp_path)


def test_a_draft_photo_keeps_no_empty_fields_and_reads_back_whole() -> None:
    plain = factories.photo_ref(phash="ab" * 8, telegram_file_id="AgAC", original_sha256="1" * 64)
    entry = draft_photo(plain)
    assert None not in entry.values()
    assert not {"captured_at", "gps_lat", "gps_lon"} & entry.keys()
    assert photo_ref(entry) == plain
    located = factories.photo_ref(
        captured_at=datetime(2026, 5, 1, 9, 30, tzinfo=TZ), gps_lat=30.25, gps_lon=120.125
    )
    assert photo_ref(draft_photo(located), keep_meta=True) == located


def test_a_draft_photo_stored_with_empty_fields_by_an_earlier_version_still_reads() -> None:
    earlier = {
        "sha256": "0" * 64,
        "phash": None,
        "size_bytes": 1,
        "width": 1,
        "height": 1,
        "file_id": None,
        "captured_at": None,
        "gps_lat": None,
        "gps_lon": None,
        "original_sha256": None,
    }
    assert photo_ref(earlier, keep_meta=True) == factories.photo_ref()
