"""End-to-end throughput of the intake conversation, beside the bare aiogram echo baseline.

    uv run python -m bench.intake_bench --citizens 20 --reports 3

Each of N citizens files reports one after another through the emulator, exactly as a
person would: a photo, Next, a typed description, a category, Not sure (the unit), Skip
(place), Anonymous, Confirm (and "No, file mine" when a similar open report is offered),
waiting for each answer before the next tap. A report counts when its tracking code
arrives. Everything real runs: the inbox, the database FSM storage, the photo pipeline
(Pillow in the photo workers, media store), the ticket transaction and outbox rows. The
emulator runs in its own process with its rate limits off, and the bot's own pacing
and per-user report limit are lifted, so the figure measures the bot, not Telegram's
limits or the abuse rule. Each report carries the 12-megapixel phone JPEG with EXIF of
bench/photo_pipeline.py.

Prints JSON: complete reports/s, the updates/s they amount to (at least 8 a report), and
the budget: at least 0.7 × (cores ÷ the time Pillow takes to open and save the same
photo, measured in the same run), i.e. the photo work spread over every core should be
what limits intake, not the conversation around it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from bench.common import Budget, bench_settings, cores, emulator_process, finish
from bench.photo_pipeline import bare_reencode, phone_photo_jpeg, time_interleaved
from bot.app import SnapreportApp
from config.logs import configure_logging
from emulator.client import ChatUser, EmulatorClient
from storage.fsm import DatabaseStorage
from storage.txwatch import WriteTransactionWatch

# photo, Next, description, category, unit, Skip, Anonymous, Confirm; "No, file mine" too
# when the bot offers the open report with the same photo and category to join instead.
UPDATES_PER_REPORT = 8
DESCRIPTION = "The clerk at window {n} has been playing games on his phone for an hour."


def phone_photo(seed: int, size: tuple[int, int] = (1280, 960)) -> bytes:
    """A distinct photo-like JPEG per report (noise over a gradient), as a phone sends."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    Image.blend(base, noise, 0.3).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def file_one_report(citizen: ChatUser, photo: bytes, n: int) -> float:
    """Walk the whole conversation once; seconds from the photo to the tracking code."""
    started = time.perf_counter()
    await citizen.send_photo(photo)
    await citizen.expect("Received: 1 photo", timeout=60)
    await citizen.press("Next", wait=60)
    await citizen.expect("Step 2/5", timeout=60)
    await citizen.send(DESCRIPTION.format(n=n))
    await citizen.expect("Step 3/5", timeout=60)
    await citizen.press("Phone or private business", wait=60)
    await citizen.expect("Which unit is the report about?", timeout=60)
    await citizen.press("Not sure", wait=60)
    await citizen.expect("Step 4/5", timeout=60)
    await citizen.press("Skip", wait=60)
    await citizen.expect("Step 5/5", timeout=60)
    await citizen.press("Anonymous", wait=60)
    await citizen.expect("Please check your report", timeout=60)
    await citizen.press("Confirm", wait=60)
    answer = await citizen.expect("", timeout=60)
    if "similar report" in answer.content:
        # The same photo and category as an open report: say it is another one (an update
        # more, counted in `updates_per_report`).
        await citizen.press("No, file mine", wait=60)
        answer = await citizen.expect("Tracking code", timeout=60)
    assert "Tracking code" in answer.content, answer.content
    return time.perf_counter() - started


async def bot_calls(client: EmulatorClient) -> int:
    """Bot API calls so far, leaving out getUpdates (polling, not work)."""
    requests = (await client.stats()).requests
    return sum(count for method, count in requests.items() if method.lower() != "getupdates")


async def measure_intake(
    url: str, control: str, citizens: int, reports: int, database_url: str | None
) -> dict[str, Any]:
    """Complete reports per second with `citizens` people filing `reports` each."""
    photo = phone_photo_jpeg(4000, 3000)
    photos = [photo] * (citizens * reports + 1)
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(url, Path(tmp))
        if database_url:
            settings = settings.model_copy(update={"database_url": database_url})
        app = SnapreportApp(settings)
        # Installed here rather than read from the app, so the bench measures any revision.
        watch = WriteTransactionWatch(threshold=float("inf")).install(app.engine)
        if isinstance(app.dp.storage, DatabaseStorage) and app.dp.storage.owned_engine:
            watch.install(app.dp.storage.owned_engine)
        await app.start()
        try:
            async with EmulatorClient(url, token=control) as client:
                # Warm up once (imports, Pillow and imagehash first calls, SQL caches).
                warm = await client.chat_user(first_name="warm", language_code="en")
                await file_one_report(warm, photos[-1], 0)
                people = [
                    await client.chat_user(first_name=f"c{i}", language_code="en")
                    for i in range(citizens)
                ]
                calls_before = await bot_calls(client)
                watch.reset()

                async def citizen_files(index: int, citizen: ChatUser) -> list[float]:
                    return [
                        await file_one_report(citizen, photos[index * reports + k], k)
                        for k in range(reports)
                    ]

                started = time.perf_counter()
                latencies = await asyncio.gather(
                    *(citizen_files(i, c) for i, c in enumerate(people))
                )
                seconds = time.perf_counter() - started
                calls = await bot_calls(client) - calls_before
        finally:
            await app.stop()
    flat = sorted(x for one in latencies for x in one)
    total = citizens * reports
    return {
        "seconds": seconds,
        "reports_per_s": total / seconds,
        "report_latency_p50_s": statistics.median(flat),
        "report_latency_p95_s": flat[min(len(flat) - 1, int(0.95 * len(flat)))],
        "bot_api_calls_per_report": calls / total,
        "longest_write_transaction_ms": watch.longest * 1000,
        "longest_write_first_statement": watch.longest_statement,
        "write_transactions": watch.count,
    }


async def run(citizens: int, reports: int, database_url: str | None) -> dict[str, Any]:
    async with emulator_process() as (url, control):
        intake = await measure_intake(url, control, citizens, reports, database_url)
    _walls, cpus = time_interleaved({"bare": bare_reencode}, phone_photo_jpeg(4000, 3000), 5)
    bare_s = statistics.median(cpus["bare"]) / 1000  # CPU: what the decode costs a core
    return {
        "benchmark": "intake conversation end to end, one 12 MP photo a report",
        "database": "postgresql" if database_url else "sqlite",
        "citizens": citizens,
        "reports": citizens * reports,
        "cores": cores(),
        "bare_open_save_s": round(bare_s, 4),
        "reports_budget_baseline_per_s": round(cores() / bare_s, 2),
        "intake_reports_per_s": round(intake["reports_per_s"], 2),
        "intake_updates_per_s": round(intake["reports_per_s"] * UPDATES_PER_REPORT, 1),
        "report_latency_p50_s": round(intake["report_latency_p50_s"], 3),
        "report_latency_p95_s": round(intake["report_latency_p95_s"], 3),
        "bot_api_calls_per_report": round(intake["bot_api_calls_per_report"], 1),
        # On SQLite the one write lock: what every other writer may have had to wait for.
        "longest_write_transaction_ms": round(intake["longest_write_transaction_ms"], 1),
        "longest_write_first_statement": intake["longest_write_first_statement"],
        "write_transactions": intake["write_transactions"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=20, help="concurrent citizens")
    parser.add_argument("--reports", type=int, default=3, help="reports each citizen files")
    parser.add_argument(
        "--database-url", default=None, help="e.g. a PostgreSQL URL (default: a temp SQLite)"
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    result = asyncio.run(run(args.citizens, args.reports, args.database_url))
    finish(
        result,
        [
            Budget("full reports with one 12 MP photo", result["intake_reports_per_s"],
                   "reports/s", 0.7, "at_least",
                   baseline=result["reports_budget_baseline_per_s"],
                   baseline_label="cores ÷ Pillow open+save of the photo"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
