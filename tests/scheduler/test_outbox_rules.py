"""How the dispatcher reads Telegram's answers and turns rows into Bot API calls."""

from __future__ import annotations

import pytest
from aiogram.exceptions import (
    RestartingTelegram,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import EditMessageText, SendLocation, SendMediaGroup, SendMessage
from aiogram.types import BufferedInputFile

from outbox.channel import FailureKind, PayloadError
from outbox.telegram import build_method, classify, media_refs

CALL = SendMessage(chat_id=42, text="hi")
SHA = "ab" * 32


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TelegramRetryAfter(CALL, "Too Many Requests: retry after 7", 7), FailureKind.FLOOD),
        (TelegramMigrateToChat(CALL, "migrated", -1001), FailureKind.MIGRATED),
        (
            TelegramForbiddenError(CALL, "Forbidden: bot was blocked by the user"),
            FailureKind.BLOCKED,
        ),
        (
            TelegramBadRequest(CALL, "Bad Request: message is not modified: specified new"),
            FailureKind.NOT_MODIFIED,
        ),
        (TelegramBadRequest(CALL, "Bad Request: chat not found"), FailureKind.PERMANENT),
        (TelegramNotFound(CALL, "Not Found"), FailureKind.PERMANENT),
        (TelegramEntityTooLarge(CALL, "Request Entity Too Large"), FailureKind.PERMANENT),
        (TelegramServerError(CALL, "Bad Gateway"), FailureKind.TRANSIENT),
        (RestartingTelegram(CALL, "Restarting"), FailureKind.TRANSIENT),
        (TelegramNetworkError(CALL, "Request timeout error"), FailureKind.TRANSIENT),
        (TelegramUnauthorizedError(CALL, "Unauthorized"), FailureKind.UNAUTHORIZED),
        (PayloadError("media not in the store"), FailureKind.PERMANENT),
        (RuntimeError("database is locked"), FailureKind.TRANSIENT),
    ],
)
def test_each_failure_has_its_remedy(error: Exception, kind: str) -> None:
    assert classify(error).kind == kind


def test_flood_wait_and_migration_carry_their_numbers() -> None:
    assert classify(TelegramRetryAfter(CALL, "retry after 7", 7)).retry_after == 7
    assert classify(TelegramMigrateToChat(CALL, "migrated", -1001)).migrate_to == -1001


def test_rows_become_aiogram_methods_by_their_bot_api_name() -> None:
    location = build_method("sendLocation", {"chat_id": 1, "latitude": 31.2, "longitude": 121.5})
    edit = build_method("editMessageText", {"chat_id": 1, "message_id": 5, "text": "v2"})
    assert isinstance(location, SendLocation) and isinstance(edit, EditMessageText)
    with pytest.raises(PayloadError):
        build_method("sendCarrierPigeon", {"chat_id": 1})


def test_media_references_become_uploads_and_file_ids_stay() -> None:
    payload = {
        "chat_id": 1,
        "media": [
            {"type": "photo", "media": f"media:{SHA}", "caption": "c"},
            {"type": "photo", "media": "AgACAgIAAx-file-id"},
        ],
    }
    assert media_refs(payload) == {SHA}

    album = build_method("sendMediaGroup", payload, {SHA: b"jpeg bytes"})

    assert isinstance(album, SendMediaGroup)
    first, second = album.media
    assert isinstance(first.media, BufferedInputFile) and first.media.data == b"jpeg bytes"
    assert second.media == "AgACAgIAAx-file-id"
