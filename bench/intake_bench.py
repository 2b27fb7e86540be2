"""End-to-end throughput of the intake conversation, beside the bare aiogram echo baseline.

    uv run python -m bench.intake_bench --citizens 20 --reports 3

Each of N citizens files reports one after another through the emulator, exactly as a
person would: a photo, Next, a typed description, a category, Skip (place), Anonymous,
Confirm, waiting for each answer before the next tap. A report counts when its tracking
code arrives. Everything real runs: the inbox, the database FSM storage, the photo
pipeline (Pillow in a worker thread, media store), the ticket transaction and outbox rows.
The emulator's rate limits are off and the bot's own pacing and per-user report limit are
lifted, so the figure measures the bot, not Telegram's limits or the abuse rule. The echo
baseline (bench/echo_bot.py driven by bench/throughput.py's `inject_and_wait`) runs in
the same process on the same emulator first.

Prints JSON: complete reports/s, the updates/s they amount to (7 updates a report), the
echo bot's updates/s, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from PIL import Image

from bench.echo_bot import create_echo_dispatcher
from bench.throughput import inject_and_wait, send_text
from bot.app import SnapreportApp
from config.logs import configure_logging
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from storage.fsm import DatabaseStorage
from storage.identity import generate_key
from storage.txwatch import WriteTransactionWatch

UPDATES_PER_REPORT = 7  # photo, Next, description, category, Skip, Anonymous, Confirm
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
    await citizen.expect("Step 4/5", timeout=60)
    await citizen.press("Skip", wait=60)
    await citizen.expect("Step 5/5", timeout=60)
    await citizen.press("Anonymous", wait=60)
    await citizen.expect("Please check your report", timeout=60)
    await citizen.press("Confirm", wait=60)
    await citizen.expect("Tracking code", timeout=60)
    return time.perf_counter() - started


async def bot_calls(client: EmulatorClient) -> int:
    """Bot API calls so far, leaving out getUpdates (polling, not work)."""
    requests = (await client.stats()).requests
    return sum(count for method, count in requests.items() if method.lower() != "getupdates")


def intake_settings(server: EmulatorServer, tmp: Path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=server.token,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{tmp / 'intake.sqlite3'}",
        identity_key=generate_key(),
        media_dir=tmp / "media",
        poll_timeout=1,
        rate_global_per_second=1e6,
        rate_private_per_second=1e6,
        rate_group_per_minute=1e6,
        reports_per_hour=1_000_000,
    )


async def measure_intake(
    server: EmulatorServer, citizens: int, reports: int, database_url: str | None
) -> dict[str, Any]:
    """Complete reports per second with `citizens` people filing `reports` each."""
    photos = [phone_photo(seed) for seed in range(citizens * reports + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = intake_settings(server, Path(tmp))
        if database_url:
            settings = settings.model_copy(update={"database_url": database_url})
        app = SnapreportApp(settings)
        # Installed here rather than read from the app, so the bench measures any revision.
        watch = WriteTransactionWatch(threshold=float("inf")).install(app.engine)
        if isinstance(app.dp.storage, DatabaseStorage) and app.dp.storage.owned_engine:
            watch.install(app.dp.storage.owned_engine)
        await app.start()
        try:
            async with EmulatorClient(server.url) as client:
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


async def measure_echo_baseline(server: EmulatorServer, users: int, messages: int) -> float:
    """The echo bot's updates/s on the same emulator (bench/throughput.py's workload)."""
    bot = Bot(server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    dispatcher = create_echo_dispatcher()
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, polling_timeout=1, handle_signals=False, close_bot_session=False
        )
    )
    try:
        async with EmulatorClient(server.url) as client:
            seconds = await inject_and_wait(client, users=users, messages=messages, send=send_text)
    finally:
        # Not polling.cancel(): start_polling awaits asyncio.wait(), whose cancellation
        # leaves the getUpdates loop running, and the next bot then gets 409 Conflict.
        await dispatcher.stop_polling()
        await polling
        await bot.session.close()
    return messages / seconds


async def run(
    citizens: int, reports: int, echo_messages: int, database_url: str | None
) -> dict[str, object]:
    server = EmulatorServer(EmulatorConfig(rate_limits=False))
    await server.start()
    try:
        echo = await measure_echo_baseline(server, citizens, echo_messages)
        server.reset()
        intake = await measure_intake(server, citizens, reports, database_url)
    finally:
        await server.stop()
    intake_updates = intake["reports_per_s"] * UPDATES_PER_REPORT
    return {
        "benchmark": "intake conversation end to end vs echo baseline",
        "database": "postgresql" if database_url else "sqlite",
        "citizens": citizens,
        "reports": citizens * reports,
        "photo": "1280x960 JPEG, one per report",
        "echo_updates_per_s": round(echo, 1),
        "intake_reports_per_s": round(intake["reports_per_s"], 2),
        "intake_updates_per_s": round(intake_updates, 1),
        "ratio_intake_updates_to_echo": round(intake_updates / echo, 3),
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
    parser.add_argument("--echo-messages", type=int, default=1000)
    parser.add_argument(
        "--database-url", default=None, help="e.g. a PostgreSQL URL (default: a temp SQLite)"
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    result = asyncio.run(run(args.citizens, args.reports, args.echo_messages, args.database_url))
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
