"""Turn an untrusted upload into a safe, uniform JPEG: pure functions on bytes, no I/O.

A citizen's photo is evidence, but the raw file is also a risk: it may be a decompression
bomb, a cut-off download, something that is not an image at all, or a photo whose EXIF
gives away where the reporter lives. `normalize_photo` checks the size and the pixel count
before decoding, opens only the formats we accept, forces a full decode so truncation
shows, applies the EXIF orientation and re-encodes to a metadata-free sRGB JPEG plus a
thumbnail. Capture time and GPS are read out separately, and only when the reporter
consented. Everything here is CPU-bound and blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import struct
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

import imagehash
from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

# The limits and refusals are domain values; re-exported so this module keeps its API.
from tickets.photos import MB as MB
from tickets.photos import ImageLimits as ImageLimits
from tickets.photos import ImageRejected as ImageRejected
from tickets.photos import RejectReason as RejectReason
from tickets.supporters import PHASH_DISTANCE

POSSIBLE_DUPLICATE_DISTANCE = PHASH_DISTANCE
"""Hamming distance between perceptual hashes at or below which two photos look alike."""

_EXIF_TIME_FORMAT = "%Y:%m:%d %H:%M:%S"
_UTC_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)
_WARNINGS_LOCK = threading.Lock()
_EXIF_ERRORS = (*_DECODE_ERRORS, TypeError, KeyError, struct.error)
# EXIF Orientation → the transpose that shows the photo upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Pillow's thumbnail default; LANCZOS costs a third more at 12 MP for no visible difference.
_RESAMPLE = Image.Resampling.BICUBIC
# Shrinking a photo to the stored size averages the area each output pixel covers (what
# `reduce()` does for whole factors): the right filter for a downscale, and at 12 MP three
# to four times cheaper than bicubic, whose taps cost more than the whole decode.
_SHRINK = Image.Resampling.BOX


DEFAULT_LIMITS = ImageLimits()


@dataclass(frozen=True)
class PhotoMetadata:
    """EXIF capture time and position, kept apart from the stripped image."""

    captured_at_text: str | None = None
    captured_at: datetime | None = None  # naive: EXIF wall-clock time of the camera
    utc_offset: timedelta | None = None  # from OffsetTimeOriginal, when the camera wrote it
    latitude: float | None = None
    longitude: float | None = None

    @property
    def is_empty(self) -> bool:
        return self.captured_at_text is None and self.latitude is None

    def captured_at_in(self, zone: tzinfo) -> datetime | None:
        """Return the capture time made aware: the EXIF offset if known, else `zone`."""
        if self.captured_at is None:
            return None
        known = timezone(self.utc_offset) if self.utc_offset is not None else zone
        return self.captured_at.replace(tzinfo=known)


@dataclass(frozen=True)
class ProcessedPhoto:
    """A normalised photo, ready for the media store."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str
    phash: str
    source_format: str
    metadata: PhotoMetadata | None

    @property
    def size_bytes(self) -> int:
        return len(self.jpeg)


def normalize_photo(
    data: bytes, *, keep_metadata: bool, limits: ImageLimits = DEFAULT_LIMITS
) -> ProcessedPhoto:
    """Validate an upload and re-encode it as a metadata-free JPEG with a thumbnail."""
    if len(data) > limits.max_bytes:
        raise ImageRejected(RejectReason.TOO_LARGE)
    source = _open_checked(data, limits)
    with _pillow_warnings():
        metadata = _read_metadata(source) if keep_metadata else None
        orientation = _orientation(source)
    image = _upright_srgb(source, orientation, limits.max_side)
    # An optimised Huffman table saves a tenth of the stored photo's bytes but costs a
    # second pass, a tenth of the whole pipeline: paid only for the small thumbnail.
    jpeg = _encode_jpeg(image, limits.jpeg_quality, optimize=False)
    thumb = _thumbnail(image, limits.thumb_side)
    # The hash shrinks its input to 32×32 anyway: from the thumbnail it is the same hash
    # (or a bit or two apart) at a fortieth of the cost of reading the stored size.
    phash = str(imagehash.phash(thumb))
    return ProcessedPhoto(
        jpeg=jpeg,
        thumbnail=_encode_jpeg(thumb, limits.thumb_quality),
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        phash=phash,
        source_format=source.format or "",
        metadata=metadata,
    )


def phash_distance(a_hex: str, b_hex: str) -> int:
    """Count the bits in which two perceptual hashes differ."""
    if len(a_hex) != len(b_hex):
        raise ValueError("perceptual hashes of different lengths")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


def is_possible_duplicate(a_hex: str, b_hex: str) -> bool:
    """Tell whether two photos are probably the same scene."""
    return phash_distance(a_hex, b_hex) <= POSSIBLE_DUPLICATE_DISTANCE


@contextlib.contextmanager
def _pillow_warnings() -> Iterator[None]:
    """Make bomb warnings errors and drop Pillow's chatter about corrupt EXIF, locally."""
    # catch_warnings swaps process-wide state (until Python 3.14), and photos are processed
    # in several worker threads: one thread at a time, for the few ms of parsing it covers.
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; our `max_pixels` check
        # in _open_checked is the real guard.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # Untrusted files are often slightly broken; Pillow skips the bad tag and goes on.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        yield


def _open_checked(data: bytes, limits: ImageLimits) -> ImageFile.ImageFile:
    """Open with only the accepted decoders, refuse bombs, then decode every pixel."""
    with _pillow_warnings():
        try:
            image = Image.open(io.BytesIO(data), formats=list(limits.formats))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected(RejectReason.TOO_MANY_PIXELS) from error
        except (UnidentifiedImageError, *_DECODE_ERRORS) as error:
            raise ImageRejected(RejectReason.NOT_AN_IMAGE) from error
    if image.width * image.height > limits.max_pixels:
        image.close()
        raise ImageRejected(RejectReason.TOO_MANY_PIXELS)
    # JPEG can decode at 1/2, 1/4 or 1/8 scale for free: never larger than we keep.
    image.draft(None, (limits.max_side, limits.max_side))
    try:
        # Relies on ImageFile.LOAD_TRUNCATED_IMAGES being False (Pillow's default), which
        # makes load() raise on a cut-off file instead of padding it with grey.
        image.load()
    except _DECODE_ERRORS as error:
        image.close()
        raise ImageRejected(RejectReason.TRUNCATED) from error
    return image


def _upright_srgb(image: ImageFile.ImageFile, orientation: int, max_side: int) -> Image.Image:
    """Flatten, shrink to `max_side`, rotate as EXIF says, then map colours to sRGB."""
    # Shrink first: each full-size copy of a 12-megapixel photo costs ~15 ms, and the
    # bounding box is square, so the order does not change the result.
    icc = image.info.get("icc_profile")
    flat = _flatten(image)
    flat.thumbnail((max_side, max_side), _SHRINK)
    if orientation in _UPRIGHT:
        flat = flat.transpose(_UPRIGHT[orientation])
    if icc and flat.mode in ("RGB", "CMYK"):
        converted = _icc_to_srgb(flat, icc)
        if converted is not None:
            return converted
    return flat if flat.mode == "RGB" else flat.convert("RGB")


def _orientation(image: Image.Image) -> int:
    # Not ImageOps.exif_transpose: it re-serialises the EXIF it is about to lose, and
    # crashes with TypeError or struct.error on the malformed EXIF a fuzzer finds at once.
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _EXIF_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _flatten(image: Image.Image) -> Image.Image:
    """Bring any mode to 8-bit L, RGB or CMYK, with transparency composited onto white."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        # 16-bit greyscale PNG: convert("L") would clip everything above 255 to white.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        white.alpha_composite(rgba)
        return white.convert("RGB")
    # Palette and 1-bit images would be resized with nearest-neighbour: give them tones.
    return image if image.mode in ("L", "RGB", "CMYK") else image.convert("RGB")


def _icc_to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Map colours from an embedded profile (say Display P3) to sRGB; None if unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def _thumbnail(image: Image.Image, side: int) -> Image.Image:
    """A new image that fits in `side`×`side`, the aspect ratio kept (as `thumbnail`, but
    without first copying the stored-size image)."""
    scale = min(1.0, side / max(image.width, image.height))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size == image.size:
        return image.copy()
    # reducing_gap: box-average by a whole factor first, as `thumbnail` does by default.
    return image.resize(size, _RESAMPLE, reducing_gap=2.0)


def _encode_jpeg(image: Image.Image, quality: int, *, optimize: bool = True) -> bytes:
    # Pillow copies a JPEG comment from `info` into the output: start from empty metadata.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=optimize)
    return buffer.getvalue()


def _read_metadata(image: Image.Image) -> PhotoMetadata | None:
    """Read capture time and GPS position from EXIF; None when there is neither."""
    try:
        exif = image.getexif()
        details = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except _EXIF_ERRORS:
        return None  # broken EXIF costs the reporter nothing but the metadata
    text = _exif_text(details.get(ExifTags.Base.DateTimeOriginal))
    position = _gps_position(gps)
    metadata = PhotoMetadata(
        captured_at_text=text,
        captured_at=_parse_exif_time(text),
        utc_offset=_parse_utc_offset(_exif_text(details.get(ExifTags.Base.OffsetTimeOriginal))),
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
    )
    return None if metadata.is_empty else metadata


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ") or None


def _parse_exif_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        # EXIF wall-clock time carries no zone; the caller decides which one it was.
        return datetime.strptime(text, _EXIF_TIME_FORMAT)  # noqa: DTZ007
    except ValueError:
        return None  # "0000:00:00 00:00:00" and other camera placeholders


def _parse_utc_offset(text: str | None) -> timedelta | None:
    match = _UTC_OFFSET.fullmatch(text or "")
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    return sign * timedelta(hours=int(match[2]), minutes=int(match[3]))


def _gps_position(gps: Mapping[int, object]) -> tuple[float, float] | None:
    latitude = _gps_coordinate(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90
    )
    longitude = _gps_coordinate(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180
    )
    if latitude is None or longitude is None:
        return None
    if latitude == 0 and longitude == 0:
        return None  # cameras without a fix write zeros, not a place in the Gulf of Guinea
    return latitude, longitude


def _gps_coordinate(value: object, ref: object, refs: str, bound: float) -> float | None:
    """Convert EXIF degrees/minutes/seconds plus a hemisphere letter to signed degrees."""
    hemisphere = _exif_text(ref)
    # Without the hemisphere letter the sign is a guess: better no position than a wrong one.
    if hemisphere not in (refs[0], refs[1]) or not isinstance(value, tuple) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not 0 <= result <= bound:  # also false for NaN from a 0 denominator
        return None
    return -result if hemisphere == refs[1] else result
