"""Fetch a photo the citizen sent (getFile + download) and run it through the pipeline.

The size is checked before downloading: Telegram refuses bots files over 20 MB, and
there is no point in pulling a file we would reject anyway.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import tzinfo

import aiohttp
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from storage.images import ImageLimits, ImageRejected, RejectReason
from storage.media import MediaStore, process_and_store

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


async def ingest_photo(
    bot: Bot, store: MediaStore, photo: IncomingPhoto, limits: ImageLimits, tz: tzinfo
) -> dict[str, object]:
    """Download, verify, strip and store one photo; returns JSON-safe draft data."""
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
    stored = await process_and_store(store, buffer.getvalue(), keep_metadata=True, limits=limits)
    meta = stored.metadata
    captured = meta.captured_at_in(tz) if meta else None
    return {
        "sha256": stored.sha256,
        "phash": stored.phash,
        "size_bytes": stored.size_bytes,
        "width": stored.width,
        "height": stored.height,
        "file_id": photo.file_id if not photo.as_document else None,
        "captured_at": captured.isoformat() if captured else None,
        "gps_lat": meta.latitude if meta else None,
        "gps_lon": meta.longitude if meta else None,
    }


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
