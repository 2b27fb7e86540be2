"""What the safety of the photo pipeline costs, measured against a bare Pillow re-encode.

`normalize_photo` does more than open and save: a pixel-count check, a full decode, EXIF
orientation and metadata, colour conversion, a downscale to the stored size, a thumbnail,
a perceptual hash and a sha256. This script builds a 12-megapixel phone-like JPEG with
EXIF, times both paths on the same bytes (alternating, so both see the same machine load)
and prints the medians as JSON, so a change that makes every report slower shows up as a
number. Run: `uv run python -m bench.photo_pipeline [--repeat N]`.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time
from collections.abc import Callable

from PIL import ExifTags, Image, ImageDraw

from storage.images import DEFAULT_LIMITS, normalize_photo


def phone_photo_jpeg(width: int, height: int, *, seed: int = 0) -> bytes:
    """Make a photo-like JPEG (gradients, shapes, sensor noise) with camera EXIF and GPS."""
    rng = random.Random(seed)
    ramp = Image.linear_gradient("L")
    channels = [ramp.resize((width, height)), Image.radial_gradient("L").resize((width, height))]
    channels.append(ramp.rotate(90).resize((width, height)))
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, x1 = sorted(rng.randrange(width) for _ in range(2))
        y0, y1 = sorted(rng.randrange(height) for _ in range(2))
        draw.ellipse((x0, y0, x1, y1), fill=(rng.randrange(256), rng.randrange(256), 90))
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    image = Image.blend(image, noise, 0.08)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=_camera_exif())
    return buffer.getvalue()


def _camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SnapPhone"
    exif[ExifTags.Base.Orientation] = 1
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 14:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (31.0, 13.0, 49.5), 3: "E", 4: (121.0, 28.0, 25.3)})
    return exif


def bare_reencode(data: bytes) -> bytes:
    """Open and save as JPEG with nothing else: the floor any pipeline pays."""
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.save(buffer, "JPEG", quality=DEFAULT_LIMITS.jpeg_quality)
    return buffer.getvalue()


def pipeline(data: bytes) -> bytes:
    """Run the full normalisation, as the bot does for every photo."""
    return normalize_photo(data, keep_metadata=True).jpeg


def time_interleaved(
    works: dict[str, Callable[[bytes], bytes]], data: bytes, repeat: int
) -> dict[str, list[float]]:
    """Time each of `works` on `data`, alternating them so both see the same machine load."""
    timings: dict[str, list[float]] = {name: [] for name in works}
    for work in works.values():
        work(data)  # warm-up: imports, allocator, CPU caches
    for _ in range(repeat):
        for name, work in works.items():
            start = time.perf_counter()
            work(data)
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    data = phone_photo_jpeg(args.width, args.height)
    timings = time_interleaved({"normalize": pipeline, "bare": bare_reencode}, data, args.repeat)
    normalize, bare = (statistics.median(timings[name]) for name in ("normalize", "bare"))
    result = normalize_photo(data, keep_metadata=True)
    report = {
        "input": {"width": args.width, "height": args.height, "bytes": len(data)},
        "stored": {"width": result.width, "height": result.height, "bytes": result.size_bytes},
        "repeat": args.repeat,
        "normalize_photo_ms": round(normalize, 1),
        "bare_open_save_ms": round(bare, 1),
        "ratio": round(normalize / bare, 2),
        "fastest_ms": {name: round(min(values), 1) for name, values in timings.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
