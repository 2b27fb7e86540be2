"""Does to photos what Telegram does: decode, apply orientation, re-encode as JPEG sizes.

A photo sent as a photo reaches the bot as several JPEG renditions (longest side at most 90,
320, 800 and 1280 pixels, never upscaled) with the metadata, EXIF GPS included, gone. Tests of
metadata stripping and of "send it as a file to keep EXIF" rely on this. Pure functions on
bytes; `renditions_off_loop` runs them in the emulator's image threads.

Telegram re-encodes photos on its own servers; the emulator does it on the machine that
runs the bot. Its image threads therefore run at the lowest CPU priority (on Linux a thread
has its own nice value): the bot and the emulator's API are served first, and figures
measured against the emulator are not the emulator's image work.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps

SIZE_LIMITS = (90, 320, 800, 1280)
MAX_SIDES_SUM = 10000
MAX_RATIO = 20
JPEG_QUALITY = 87


class ImageError(ValueError):
    """The bytes are not a photo Telegram would accept."""


@dataclass(frozen=True)
class Rendition:
    """One re-encoded size of a photo."""

    data: bytes
    width: int
    height: int


async def renditions_off_loop(data: bytes) -> list[Rendition]:
    """`photo_renditions` in one of the emulator's low-priority image threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_image_threads(), photo_renditions, data)


@functools.cache
def _image_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        len(os.sched_getaffinity(0)), thread_name_prefix="emulator-image", initializer=_lowest
    )


def _lowest() -> None:
    with contextlib.suppress(OSError):
        os.nice(19)


def photo_renditions(data: bytes) -> list[Rendition]:
    """Re-encode a photo into Telegram's sizes, smallest first, without metadata."""
    image = _open(data)
    renditions: list[Rendition] = []
    # Largest first, each size from the previous one: cheaper than resizing the original.
    for limit in reversed(SIZE_LIMITS):
        if max(image.size) <= limit and renditions:
            continue
        image = image.copy()
        image.thumbnail((limit, limit), Image.Resampling.LANCZOS)
        renditions.append(_encode(image))
    return renditions[::-1]


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # A decompression bomb is a refused photo, not a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            _check_dimensions(*image.size)
            # Decode JPEGs at a reduced scale when that still covers the largest size.
            image.draft("RGB", (SIZE_LIMITS[-1], SIZE_LIMITS[-1]))
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
        ) as error:
            if isinstance(error, ImageError):
                raise
            raise ImageError("IMAGE_PROCESS_FAILED") from error
    return upright.convert("RGB")


def _check_dimensions(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ImageError("IMAGE_PROCESS_FAILED")
    if width + height > MAX_SIDES_SUM or max(width, height) > MAX_RATIO * min(width, height):
        raise ImageError("PHOTO_INVALID_DIMENSIONS")


def _encode(image: Image.Image) -> Rendition:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return Rendition(buffer.getvalue(), image.width, image.height)
