"""Reply latency of text steps while citizens send albums of 12-megapixel photos.

    uv run python -m bench.latency_bench --citizens 20 --album 3

N citizens each send an album of 12 MP phone JPEGs with EXIF at the same moment; while the
bot decodes them, a few other users keep sending `/help` one after another, each waiting
for its answer. Prints JSON: the p50/p95/max of those answers' latency (from the message
entering the emulator to the answer arriving), how many were measured, and how long the
albums took to be acknowledged. Budget: p95 at most 50 ms, i.e. photo work runs off the
event loop, in bounded concurrency, and does not slow text answers down.

The real app (inbox, unit of work, FSM storage, photo pipeline) answers; the emulator runs
in its own process with its rate limits off, and the citizens' phones send their albums
from a process of their own, started before any timing, so neither Telegram's work nor
the phones' is the bot's. `--postgres-temp` measures on PostgreSQL as well.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bench.common import Budget, bot_on_emulator, databases, finish
from bench.photo_pipeline import phone_photo_jpeg
from config.logs import configure_logging
from emulator.client import ChatUser, EmulatorClient
from emulator.views import BotAction, UserInfo


async def answered(user: ChatUser) -> None:
    """Wait for the bot's next message in the user's chat, whatever it says; consume it."""
    actions: list[BotAction] = []
    while not actions:
        actions = await user.client.wait_for_bot_message(user.chat_id, user.seq, 60)
    user.seq = actions[-1].seq


async def probe(user: ChatUser, until: asyncio.Event, latencies: list[float]) -> None:
    """Send /help, wait for the answer, again, until the albums are in."""
    while not until.is_set():
        started = time.perf_counter()
        await user.command("help")
        await answered(user)
        latencies.append((time.perf_counter() - started) * 1000)


def variants(count: int) -> list[bytes]:
    """Distinct 12 MP photos (a different mark on each): the bot takes a photo once a draft."""
    base = Image.open(io.BytesIO(phone_photo_jpeg(4000, 3000)))
    base.load()
    exif = base.getexif()
    made = []
    for n in range(count):
        image = base.copy()
        ImageDraw.Draw(image).rectangle((40 * n % 3800, 50, 40 * n % 3800 + 180, 400), fill=n)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=92, exif=exif)
        made.append(buffer.getvalue())
    return made


def _phones(
    url: str, control: str, people: list[tuple[UserInfo, int]], paths: list[list[str]]
) -> float:
    """In the phones' process: every citizen sends their album and waits for its panel."""
    albums = [[Path(path).read_bytes() for path in album] for album in paths]

    async def phones() -> float:
        async with EmulatorClient(url, token=control) as client:
            started = time.perf_counter()

            async def one(user: UserInfo, seq: int, album: list[bytes]) -> None:
                phone = ChatUser(client, user, seq=seq)
                await phone.send_album(album)
                await phone.expect(f"Received: {len(album)}", timeout=600)

            await asyncio.gather(
                *(one(user, seq, album) for (user, seq), album in zip(people, albums, strict=True))
            )
            return time.perf_counter() - started

    return asyncio.run(phones())


def _ready() -> None:
    """Nothing: run once so that the phones' process has started and imported its code."""


@contextlib.contextmanager
def phones_process() -> Iterator[ProcessPoolExecutor]:
    """The citizens' phones in a process of their own, started before any timing: encoding
    12 MP albums as base64 JSON in the bot's process would hold its GIL, and the phones are
    not the bot's work (in production they are elsewhere)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_ready).result()
        yield pool


async def send_albums(
    pool: ProcessPoolExecutor,
    url: str,
    control: str,
    citizens: list[ChatUser],
    albums: list[list[Path]],
) -> float:
    """The citizens' phones send their albums, each waiting for the panel; seconds taken."""
    people = [(citizen.user, citizen.seq) for citizen in citizens]
    paths = [[str(path) for path in album] for album in albums]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, _phones, url, control, people, paths)


async def run(
    citizens: int, album_size: int, probes: int, *, database_url: str | None = None
) -> dict[str, Any]:
    photos = variants(citizens * album_size + 1)
    photo = photos[-1]
    with tempfile.TemporaryDirectory() as scratch, phones_process() as pool:
        albums = [
            [_written(Path(scratch) / f"{i}-{k}.jpg", photos[i * album_size + k])
             for k in range(album_size)]
            for i in range(citizens)
        ]  # fmt: skip
        return await _measure(pool, photo, albums, probes, database_url)


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def _measure(
    pool: ProcessPoolExecutor,
    photo: bytes,
    albums: list[list[Path]],
    probes: int,
    database_url: str | None,
) -> dict[str, Any]:
    citizens, album_size = len(albums), len(albums[0])
    async with bot_on_emulator(database_url) as (client, url, control):
        people = [
            await client.chat_user(first_name=f"c{i}", language_code="en") for i in range(citizens)
        ]
        probers = [
            await client.chat_user(first_name=f"p{i}", language_code="en") for i in range(probes)
        ]
        # Warm up: imports, SQL caches, Pillow's first decode.
        warm = await client.chat_user(first_name="warm", language_code="en")
        await warm.send_photo(photo)
        await warm.expect("Received: 1", timeout=120)
        idle: list[float] = []
        done = asyncio.Event()
        for prober in probers:
            await prober.command("help")
            await answered(prober)
        quiet = asyncio.create_task(probe(probers[0], done, idle))
        await asyncio.sleep(2)
        done.set()
        await quiet
        busy: list[float] = []
        albums_done = asyncio.Event()
        tasks = [asyncio.create_task(probe(p, albums_done, busy)) for p in probers]
        albums_s = await send_albums(pool, url, control, people, albums)
        albums_done.set()
        await asyncio.gather(*tasks)
    return {
        "benchmark": "text reply latency while citizens send albums",
        "citizens": citizens,
        "album_photos": album_size,
        "photo": "4000x3000 JPEG with EXIF",
        "albums_acknowledged_s": round(albums_s, 2),
        "idle_p50_ms": round(statistics.median(idle), 1),
        "replies_measured": len(busy),
        "p50_ms": round(statistics.median(busy), 1),
        "p95_ms": round(percentile(busy, 0.95), 1),
        "max_ms": round(max(busy), 1),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--album", type=int, default=3, help="photos in each album")
    parser.add_argument("--probes", type=int, default=3, help="users sending /help meanwhile")
    parser.add_argument(
        "--postgres-temp",
        action="store_true",
        help="measure on a throwaway PostgreSQL server too (tests/pgserver.py)",
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    results, budgets = [], []
    with (
        tempfile.TemporaryDirectory() as scratch,
        databases(Path(scratch), postgres=args.postgres_temp) as found,
    ):
        for backend, url in found:
            result = asyncio.run(run(args.citizens, args.album, args.probes, database_url=url))
            results.append({"backend": backend, **result})
            note = f"{result['replies_measured']} replies; idle p50 {result['idle_p50_ms']} ms"
            name = f"p95 text reply latency while {args.citizens} citizens send albums ({backend})"
            budgets.append(Budget(name, result["p95_ms"], "ms", 50, "at_most", note=note))
    finish({"benchmark": results[0]["benchmark"], "results": results}, budgets)


if __name__ == "__main__":
    main()
