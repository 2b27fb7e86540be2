"""Real image files for tests, made on the fly: deterministic, small on disk, quick to build.

Unit tests of the photo pipeline and conversation tests through the emulator both need
actual bytes a citizen might send: a phone photo with EXIF capture time and GPS, a PNG, a
file cut off mid-download, a text file renamed `.jpg`, an image whose header promises 60
megapixels, and an upload over Telegram's 20 MB limit. Everything is built from a seed, so
the same call always returns the same bytes.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from datetime import datetime

from PIL import ExifTags, Image, ImageCms, ImageDraw

MB = 1024 * 1024
EXIF_TIME_FORMAT = "%Y:%m:%d %H:%M:%S"


def photo(width: int = 640, height: int = 480, *, seed: int = 0) -> Image.Image:
    """Make a photo-like RGB picture: colour gradients, a few shapes and sensor noise."""
    rng = random.Random(seed)
    image = _gradient(width, height, rng)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x0, x1 = sorted(rng.randrange(width) for _ in range(2))
        y0, y1 = sorted(rng.randrange(height) for _ in range(2))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour)
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    return Image.blend(image, noise, 0.06)


def make_exif(
    *,
    captured_at: datetime | str | None = None,
    utc_offset: str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
) -> Image.Exif:
    """Build EXIF as a phone camera writes it: capture time, GPS IFD 0x8825, orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SnapPhone"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    if captured_at is not None:
        text = (
            captured_at.strftime(EXIF_TIME_FORMAT)
            if isinstance(captured_at, datetime)
            else captured_at
        )
        details[ExifTags.Base.DateTimeOriginal] = text
    if utc_offset is not None:
        details[ExifTags.Base.OffsetTimeOriginal] = utc_offset
    if gps is not None:
        latitude, longitude = gps
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
        position[ExifTags.GPS.GPSLatitude] = _dms(latitude)
        position[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
        position[ExifTags.GPS.GPSLongitude] = _dms(longitude)
    return exif


def jpeg_bytes(
    width: int = 640,
    height: int = 480,
    *,
    seed: int = 0,
    quality: int = 90,
    exif: Image.Exif | None = None,
    image: Image.Image | None = None,
) -> bytes:
    """Encode a photo (made from `seed` unless given) as a JPEG, with optional EXIF."""
    picture = image if image is not None else photo(width, height, seed=seed)
    return encode(picture, "JPEG", quality=quality, exif=exif or Image.Exif())


def phone_jpeg(
    *,
    captured_at: datetime | str | None = "2024:05:01 14:30:00",
    gps: tuple[float, float] | None = (31.230416, 121.473701),
    seed: int = 0,
) -> bytes:
    """Make a JPEG carrying everything a careless upload leaks: EXIF, GPS, XMP, comment, ICC."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        photo(seed=seed),
        "JPEG",
        exif=make_exif(captured_at=captured_at, gps=gps),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>',
        comment=b"taken at home",
        icc_profile=srgb,
    )


def png_bytes(width: int = 64, height: int = 48, *, seed: int = 0, mode: str = "RGB") -> bytes:
    """Encode a photo-like picture as PNG in `mode` (e.g. "RGBA", "P", "L", "I;16")."""
    return encode(photo(width, height, seed=seed).convert(mode), "PNG")


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Save an image to bytes in the given Pillow format."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def truncated_jpeg(*, keep: float = 0.6, seed: int = 0) -> bytes:
    """Make a JPEG cut off after `keep` of its bytes, like an interrupted download."""
    whole = jpeg_bytes(seed=seed)
    return whole[: int(len(whole) * keep)]


def text_file() -> bytes:
    """Return plain text, the kind of file that arrives named `photo.jpg`."""
    return "这不是照片 — this is not a photo.\n".encode() * 20


@functools.cache
def many_pixels_png(width: int = 7746, height: int = 7746) -> bytes:
    """Make a valid all-black 1-bit PNG: 7746² is 60 megapixels in about 7 KB."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = bytes(1 + (width + 7) // 8)  # filter byte "none", then the packed pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", pixels),
            _chunk(b"IEND", b""),
        ]
    )


@functools.cache
def oversized_jpeg(total: int = 25 * MB) -> bytes:
    """Make a decodable JPEG padded past Telegram's 20 MB download limit."""
    head = jpeg_bytes(seed=1)
    return head + bytes(total - len(head))  # decoders ignore what follows the end marker


def truncated_png(*, keep: float = 0.6, seed: int = 0) -> bytes:
    """Make a PNG cut off after `keep` of its bytes."""
    whole = png_bytes(320, 240, seed=seed)
    return whole[: int(len(whole) * keep)]


def huge_dimensions_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG header promising 10 gigapixels, with next to no pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes(1 + 3 * 16))  # one row's worth; the rest is missing
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", pixels),
            _chunk(b"IEND", b""),
        ]
    )


def huge_dimensions_jpeg(width: int = 65_000, height: int = 65_000, *, seed: int = 0) -> bytes:
    """A small JPEG whose frame header claims `width` x `height` pixels."""
    data = bytearray(jpeg_bytes(64, 48, seed=seed))
    frame = data.index(b"\xff\xc0")  # SOF0: length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_zip_polyglot(*, seed: int = 0) -> bytes:
    """A valid JPEG with a ZIP archive (holding a web page) appended: both at once."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.html", "<script>alert('polyglot')</script>")
    return jpeg_bytes(320, 240, seed=seed) + archive.getvalue()


def html_with_jpeg_header() -> bytes:
    """A web page behind a JPEG start-of-image and JFIF marker."""
    page = b"<html><body><script>alert(document.cookie)</script></body></html>\n" * 8
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + page


def cmyk_jpeg(*, seed: int = 0) -> bytes:
    """A print-shop JPEG in CMYK (Adobe-style)."""
    return encode(photo(320, 240, seed=seed).convert("CMYK"), "JPEG", quality=90)


def animated(fmt: str, *, frames: int = 4, seed: int = 0) -> bytes:
    """An animated GIF or WebP of `frames` different pictures."""
    pictures = [photo(160, 120, seed=seed + n) for n in range(frames)]
    if fmt == "GIF":
        pictures = [p.convert("P") for p in pictures]
    return encode(pictures[0], fmt, save_all=True, append_images=pictures[1:], duration=100)


def gif_bytes(*, seed: int = 0) -> bytes:
    return encode(photo(160, 120, seed=seed).convert("P"), "GIF")


def jpeg_with_exif_segment(tiff: bytes, *, seed: int = 0) -> bytes:
    """A JPEG whose first APP1 segment is `Exif` followed by the raw TIFF structure `tiff`."""
    body = jpeg_bytes(320, 240, seed=seed)
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return body[:2] + segment + body[2:]


def exif_huge_tag_count() -> bytes:
    """EXIF whose first directory claims 65535 entries (and holds three)."""
    entries = _ifd_entry(0x0112, 3, 1, struct.pack(">HH", 6, 0)) * 3
    return b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 0xFFFF) + entries


def exif_bad_offsets() -> bytes:
    """EXIF whose sub-directories and values point far beyond the segment, or into itself."""
    entries = [
        _ifd_entry(0x0112, 3, 1, struct.pack(">HH", 6, 0)),  # Orientation: rotate
        _ifd_entry(0x0132, 2, 0x10000000, struct.pack(">I", 0x7FFFFFFF)),  # DateTime
        _ifd_entry(0x8769, 4, 1, struct.pack(">I", 0x7FFFFFF0)),  # Exif IFD: nowhere
        _ifd_entry(0x8825, 4, 1, struct.pack(">I", 8)),  # GPS IFD: IFD0 itself, a loop
    ]
    ifd = struct.pack(">H", len(entries)) + b"".join(entries) + struct.pack(">I", 8)
    return b"MM\x00*" + struct.pack(">I", 8) + ifd


def _ifd_entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
    return struct.pack(">HHI", tag, kind, count) + value


def _gradient(width: int, height: int, rng: random.Random) -> Image.Image:
    ramp = Image.linear_gradient("L")
    channels = [
        ramp.rotate(rng.choice((0, 90, 180, 270))).resize((width, height)),
        Image.radial_gradient("L").resize((width, height)),
        ramp.rotate(rng.choice((0, 90, 180, 270))).resize((width, height)),
    ]
    rng.shuffle(channels)
    return Image.merge("RGB", channels)


def _dms(degrees: float) -> tuple[float, float, float]:
    value = abs(degrees)
    whole, minutes = int(value), (value - int(value)) * 60
    return float(whole), float(int(minutes)), round((minutes - int(minutes)) * 60, 4)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    checksum = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", checksum)
