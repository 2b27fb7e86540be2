"""What the safety of the photo pipeline costs, measured against a bare Pillow re-encode.

`normalize_photo` does more than open and save: a pixel-count check, a full decode, EXIF
orientation and metadata, colour conversion, a downscale to the stored size, a thumbnail,
a perceptual hash and a sha256. This script builds a 12-megapixel phone-like JPEG with
EXIF, times both paths on the same bytes (alternating, so both see the same machine load)
and prints the medians as JSON, so a change that makes every report slower shows up as a
number. The budget compares CPU time of the thread (what the work costs, whatever else the
machine runs); wall times are printed beside. Budget: at most 1.3 × the bare re-encode.
It also prints the peak memory one photo in flight takes: the high-water mark of a fresh
process's resident set around one `normalize_photo`.
Run: `uv run python -m bench.photo_pipeline [--repeat N]`.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from PIL import ExifTags, Image, ImageDraw

from bench.common import Budget, finish
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
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Time each of `works` on `data`, alternating them so both see the same machine load;
    wall and thread CPU milliseconds."""
    walls: dict[str, list[float]] = {name: [] for name in works}
    cpus: dict[str, list[float]] = {name: [] for name in works}
    for work in works.values():
        work(data)  # warm-up: imports, allocator, CPU caches
    for _ in range(repeat):
        for name, work in works.items():
            start, cpu = time.perf_counter(), time.thread_time()
            work(data)
            cpus[name].append((time.thread_time() - cpu) * 1000)
            walls[name].append((time.perf_counter() - start) * 1000)
    return walls, cpus


# VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across exec, so a child started
# by a big parent would report the parent's peak.
_PEAK_PROBE = """
import re, sys
from pathlib import Path
from storage.images import normalize_photo
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text())[1])
data = Path(sys.argv[1]).read_bytes()
before = hwm()
normalize_photo(data, keep_metadata=True)
print(hwm() - before)
"""


def peak_memory_mb(data: bytes) -> float:
    """Peak resident memory one photo in flight adds, measured in a fresh process."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_PROBE, file.name],
            capture_output=True,
            text=True,
            check=True,
        )
    return int(done.stdout.strip()) / 1024  # VmHWM is in KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    data = phone_photo_jpeg(args.width, args.height)
    walls, cpus = time_interleaved(
        {"normalize": pipeline, "bare": bare_reencode}, data, args.repeat
    )
    normalize, bare = (statistics.median(cpus[name]) for name in ("normalize", "bare"))
    result = normalize_photo(data, keep_metadata=True)
    peak = peak_memory_mb(data)
    report = {
        "benchmark": "photo pipeline, 12 MP JPEG with EXIF",
        "input": {"width": args.width, "height": args.height, "bytes": len(data)},
        "stored": {"width": result.width, "height": result.height, "bytes": result.size_bytes},
        "repeat": args.repeat,
        "normalize_photo_cpu_ms": round(normalize, 1),
        "bare_open_save_cpu_ms": round(bare, 1),
        "ratio": round(normalize / bare, 2),
        "median_wall_ms": {name: round(statistics.median(v), 1) for name, v in walls.items()},
        "fastest_wall_ms": {name: round(min(values), 1) for name, values in walls.items()},
        "peak_memory_per_photo_in_flight_mb": round(peak, 1),
    }
    finish(
        report,
        [
            Budget("photo pipeline per 12 MP JPEG (CPU)", round(normalize, 1), "ms", 1.3,
                   "at_most", baseline=round(bare, 1), baseline_label="Pillow open + save",
                   note=f"peak memory per photo in flight {peak:.0f} MB"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
