"""Logs never carry the bot token, a user's identity, or a reversible user hash."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import structlog
from aiogram import Bot
from aiogram.types import Chat, File, Message, User
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from config import logs
from config.logs import configure_logging, keyed_user_hash, user_hash
from handlers.photos import IncomingPhoto, PhotoDownloadError, ingest_photo
from storage.images import ImageLimits
from storage.media import LocalMediaStore, MediaPhotoIntake
from tests.keys import TEST_KEYS

# Shaped like a real token: caught by pattern even when nobody said it is a secret.
TOKEN = "123456789:AAHk3vT0pQz_x9LmNc2RbW7sYd4Ge-5fUjI"
# Not shaped like one (the emulator's kind): caught only because it is configured.
ODD_TOKEN = "987:emulator-style-token"
USER_ID = 700_123_456
FIRST_NAME = "Xiaoming"
USERNAME = "whistle_blower_77"
TEXT = "Officer Li took a bribe at the east gate"


pytestmark = pytest.mark.usefixtures("restore_logging")


def reporter_message() -> Message:
    return Message(
        message_id=1,
        date=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        chat=Chat(id=USER_ID, type="private", first_name=FIRST_NAME, username=USERNAME),
        from_user=User(id=USER_ID, is_bot=False, first_name=FIRST_NAME, username=USERNAME),
        text=TEXT,
    )


def call_the_bot_api() -> None:
    message = reporter_message()  # in scope, as in a handler
    token = TOKEN
    url = f"https://api.telegram.org/file/bot{token}/photos/file_1.jpg"
    raise RuntimeError(f"download failed for {message.message_id}: url={url!r} {ODD_TOKEN}")


def assert_private(output: str) -> None:
    # The traceback itself is there: the test would pass vacuously otherwise.
    assert "RuntimeError: download failed" in output or '"RuntimeError"' in output, output
    assert "call_the_bot_api" in output
    for secret in (TOKEN, TOKEN.split(":")[1], ODD_TOKEN, str(USER_ID), FIRST_NAME, USERNAME):
        assert secret not in output
    assert TEXT not in output


def log_a_failed_call(json: bool, log: Callable[[], None]) -> None:
    """Configure logging, then `log` while handling the failure of a call with a token."""
    configure_logging("INFO", json=json, hash_key="k" * 32, secrets=[ODD_TOKEN])
    try:
        call_the_bot_api()
    except RuntimeError:
        log()


@pytest.mark.parametrize("json", [False, True], ids=["console", "json"])
def test_a_structlog_exception_shows_no_locals_and_no_token(
    json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    log_a_failed_call(
        json,
        lambda: structlog.get_logger("test").exception("handler_error", url=f"/bot{TOKEN}/getMe"),
    )
    assert_private(capsys.readouterr().err)


@pytest.mark.parametrize("json", [False, True], ids=["console", "json"])
def test_a_stdlib_exception_record_shows_no_locals_and_no_token(
    json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    # What aiogram and aiohttp do: their own loggers, %-arguments, exc_info.
    log_a_failed_call(
        json,
        lambda: logging.getLogger("aiogram.event").exception("Cause exception %s", f"bot{TOKEN}"),
    )
    assert_private(capsys.readouterr().err)


def test_keyed_hash_is_stable_per_key_and_differs_between_keys() -> None:
    one, other = b"first-key-" * 4, b"second-key" * 4
    assert keyed_user_hash(USER_ID, one) == keyed_user_hash(USER_ID, one)
    assert keyed_user_hash(USER_ID, one) != keyed_user_hash(USER_ID, other)
    assert keyed_user_hash(USER_ID, one) != keyed_user_hash(USER_ID + 1, one)
    unkeyed = hashlib.sha256(f"snapreport:{USER_ID}".encode()).hexdigest()
    assert keyed_user_hash(USER_ID, one) not in unkeyed
    assert len(keyed_user_hash(USER_ID, one)) == 16  # SecurityEvent.actor_hash holds 16


def test_user_hash_uses_the_configured_key() -> None:
    configure_logging("INFO", hash_key="configured-key-" * 3)
    assert user_hash(USER_ID) == keyed_user_hash(USER_ID, b"configured-key-" * 3)


def test_without_a_key_hashes_use_a_random_key_and_warn_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json=True)
    logs._Keys.random_key = None  # as in a fresh process
    first = user_hash(USER_ID)
    assert user_hash(USER_ID) == first  # stable within the process
    unkeyed = hashlib.sha256(f"snapreport:{USER_ID}".encode()).hexdigest()
    assert first not in unkeyed
    logs._Keys.random_key = None  # a restart
    assert user_hash(USER_ID) != first
    assert capsys.readouterr().err.count("log_hash_key_unset") == 2  # once per process


class FailingDownloadBot:
    """getFile succeeds; the file server answers 404, as aiohttp reports it (URL included)."""

    async def get_file(self, file_id: str) -> File:
        return File(file_id=file_id, file_unique_id="u1", file_path="photos/file_1.jpg")

    async def download_file(self, file_path: str, destination: io.BytesIO) -> None:
        url = URL(f"https://api.telegram.org/file/bot{TOKEN}/{file_path}")
        headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())
        info = aiohttp.RequestInfo(url, "GET", headers, url)
        raise aiohttp.ClientResponseError(info, (), status=404, message="Not Found")


async def test_a_failed_download_is_logged_and_raised_without_the_url(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json=True, hash_key="k" * 32)
    with pytest.raises(PhotoDownloadError) as raised:
        await ingest_photo(
            cast(Bot, FailingDownloadBot()),
            MediaPhotoIntake(
                LocalMediaStore(tmp_path),
                limits=ImageLimits(),
                tz=ZoneInfo("Asia/Shanghai"),
                keys=TEST_KEYS,
            ),
            IncomingPhoto("file-1", 1000, as_document=False),
        )
    structlog.get_logger("test").error("handler_error", exc_info=raised.value)
    output = capsys.readouterr().err
    assert "photo_download_failed" in output and "404" in output
    assert "ClientResponseError" in output
    assert TOKEN.split(":")[1] not in output and "api.telegram.org" not in output
    assert raised.value.__suppress_context__
