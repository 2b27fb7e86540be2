"""Fetch a photo the citizen sent (getFile + download) and hand it to the photo intake.

Downloading is Telegram's business and stays here; checking, normalising and storing the
bytes is `ws.photos` (`tickets.ports.PhotoIntake`). The size is checked before downloading:
Telegram refuses bots files over 20 MB, and there is no point in pulling a file we would
reject anyway.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from tickets.photos import ImageRejected, RejectReason
from tickets.ports import PhotoIntake
from tickets.views import PhotoRef

ACCEPTED_DOCUMENT_TYPES = ("image/jpeg", "image/png", "image/webp")
log = structlog.get_logger(__name__)


class PhotoDownloadError(Exception):
    """The file server did not hand the photo over; carries no URL (it holds the token)."""


@dataclass(frozen=True)
class IncomingPhoto:
    file_id: str
    file_size: int | None
    as_document: bool


def incoming_photo(message: Message) -> IncomingPhoto | None:
    """The best-quality photo of a message: the largest size, or an image sent as a file."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingPhoto(largest.file_id, largest.file_size, as_document=False)
    document = message.document
    if document is not None:
        return IncomingPhoto(document.file_id, document.file_size, as_document=True)
    return None


async def ingest_photo(bot: Bot, photos: PhotoIntake, photo: IncomingPhoto) -> dict[str, object]:
    """Download one photo for `photos` to verify, strip and store; returns JSON-safe draft data."""
    limits = photos.limits
    if photo.file_size is not None and photo.file_size > limits.max_bytes:
        raise ImageRejected(RejectReason.TOO_LARGE)
    try:
        file = await bot.get_file(photo.file_id)
    except TelegramBadRequest as error:
        if "too big" in error.message.lower():
            raise ImageRejected(RejectReason.TOO_LARGE) from error
        raise
    # file_size is optional in a message; a local Bot API server serves files up to 2 GB.
    if file.file_size is not None and file.file_size > limits.max_bytes:
        raise ImageRejected(RejectReason.TOO_LARGE)
    if file.file_path is None:
        raise ImageRejected(RejectReason.NOT_AN_IMAGE)
    buffer = io.BytesIO()
    try:
        await bot.download_file(file.file_path, destination=buffer)
    except (TimeoutError, aiohttp.ClientError, TelegramNetworkError) as error:
        # aiohttp's errors print the request URL, `…/file/bot<TOKEN>/…`: log the kind and
        # status only, and drop the original from the chain so no traceback shows it.
        status = getattr(error, "status", None)
        log.warning("photo_download_failed", error=type(error).__name__, status=status)
        raise PhotoDownloadError(f"{type(error).__name__} {status or ''}".strip()) from None
    file_id = photo.file_id if not photo.as_document else None
    return draft_photo(await photos.store(buffer.getvalue(), telegram_file_id=file_id))


def draft_photo(ref: PhotoRef) -> dict[str, object]:
    """A stored photo as the draft's FSM data keeps it (JSON-safe).

    Fields without a value are left out, not stored as null: a photo sent as a photo has
    no capture time or position (Telegram strips them), one sent as a file no file id, and
    every draft is stored and loaded whole. `photo_ref` reads a missing field as None.
    """
    entry: dict[str, object | None] = {
        "sha256": ref.sha256,
        "phash": ref.phash,
        "size_bytes": ref.size_bytes,
        "width": ref.width,
        "height": ref.height,
        "file_id": ref.telegram_file_id,
        "captured_at": ref.captured_at.isoformat() if ref.captured_at else None,
        "gps_lat": ref.gps_lat,
        "gps_lon": ref.gps_lon,
        "original_sha256": ref.original_sha256,
    }
    return {name: value for name, value in entry.items() if value is not None}


def photo_ref(entry: dict[str, Any], *, keep_meta: bool = False) -> PhotoRef:
    """A draft's photo back as a value; its capture time and GPS only when `keep_meta`."""
    captured_at = entry.get("captured_at") if keep_meta else None
    return PhotoRef(
        sha256=entry["sha256"],
        phash=entry.get("phash"),
        size_bytes=entry["size_bytes"],
        width=entry["width"],
        height=entry["height"],
        telegram_file_id=entry.get("file_id"),
        captured_at=datetime.fromisoformat(captured_at) if captured_at else None,
        gps_lat=entry.get("gps_lat") if keep_meta else None,
        gps_lon=entry.get("gps_lon") if keep_meta else None,
        original_sha256=entry.get("original_sha256"),
    )


def rejection_text(error: ImageRejected) -> str:
    texts = {
        RejectReason.TOO_LARGE: _("This file is larger than 20 MB. Please send a smaller photo."),
        RejectReason.NOT_AN_IMAGE: _(
            "This file is not a photo we can read. Please send a JPEG, PNG or WebP image."
        ),
        RejectReason.TRUNCATED: _(
            "This photo is incomplete (the file is cut off). Please resend it."
        ),
        RejectReason.TOO_MANY_PIXELS: _(
            "This image is too large (over 50 megapixels). Please send a smaller photo."
        ),
    }
    return texts.get(error.reason, _("This photo could not be used."))
