"""End-to-end updates/s for 1, 2 and 3 webhook replicas on PostgreSQL and Redis.

    uv run python -m bench.replicas_bench --messages 600 --users 60

Each replica is a real `snapreport run` process in webhook mode behind a round-robin front
(in this process, standing in for nginx); they share a throwaway PostgreSQL server and a
throwaway Redis (the per-user lane locks, the shared rate limits), both started here as the
tests start them. The emulator runs in its own process with its rate limits off, and
delivers webhook updates one at a time (Telegram with `max_connections=1`; its default is
40). The
bare aiogram echo bot, polling the same kind of emulator, is measured in the same run.
Prints JSON like every benchmark; the budget is the throughput benchmark's (at least 0.6 ×
echo) for every replica count, and the scaling from 1 to 3 replicas is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.common import Budget, cores, emulator_process, finish
from bench.throughput import inject_and_wait, measure_echo, send_help
from config.logs import configure_logging
from emulator.client import EmulatorClient
from emulator.config import DEFAULT_TOKEN
from storage.identity import generate_key
from tests.crash.botproc import BotProcess  # dev-only helpers, like stats_bench's server
from tests.front import Front, free_port, serve
from tests.pgserver import PostgresServer
from tests.redisserver import RedisServer

ROOT = Path(__file__).resolve().parents[1]


def replica_env(api_url: str, database_url: str, redis_url: str, front_url: str) -> dict[str, str]:
    """Production settings but Telegram's limits lifted (the emulator's are off too)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    return kept | {
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "IDENTITY_KEY": generate_key(),
        "LOG_HASH_KEY": secrets.token_hex(16),
        "LOG_JSON": "true",
        "WEBHOOK_URL": front_url,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "DIGESTS_ENABLED": "false",
        "RATE_GLOBAL_PER_SECOND": "1000000",
        "RATE_PRIVATE_PER_SECOND": "1000000",
        "RATE_GROUP_PER_MINUTE": "1000000",
    }


async def measure_replicas(
    count: int, pg: PostgresServer, redis: RedisServer, users: int, messages: int
) -> float:
    """Updates/s through `count` replicas on a fresh database and an emptied Redis."""
    redis.flush()
    database_url = pg.create_database(f"bench_{uuid.uuid4().hex[:10]}")
    front, front_port = Front(), free_port()
    runner = await serve(front, front_port)
    with tempfile.TemporaryDirectory(prefix="snapreport-replicas-") as tmp:
        async with emulator_process() as (url, control):
            env = replica_env(url, database_url, redis.url, f"http://127.0.0.1:{front_port}")
            replicas = []
            for number in range(count):
                port = free_port()
                workdir = Path(tmp) / f"replica-{number}"
                workdir.mkdir()
                media = {"WEBHOOK_PORT": str(port), "MEDIA_DIR": str(Path(tmp) / "media")}
                replicas.append(BotProcess(env | media, workdir))
                front.backends.append(f"http://127.0.0.1:{port}")
            try:
                for replica in replicas:
                    replica.start()
                await asyncio.gather(*(replica.wait_ready() for replica in replicas))
                async with EmulatorClient(url, token=control) as client:
                    seconds = await inject_and_wait(
                        client, users=users, messages=messages, send=send_help
                    )
            finally:
                await asyncio.to_thread(lambda: [r.stop() for r in replicas])
                await runner.cleanup()
    return messages / seconds


async def run(users: int, messages: int, counts: list[int]) -> dict[str, Any]:
    echo = await measure_echo(users, messages)
    pg, redis = PostgresServer(), RedisServer()
    pg.start()
    redis.start()
    try:
        figures = {n: await measure_replicas(n, pg, redis, users, messages) for n in counts}
    finally:
        redis.stop()
        pg.stop()
    result: dict[str, Any] = {
        "benchmark": "webhook replicas on PostgreSQL and Redis, end to end",
        "users": users,
        "messages": messages,
        "cores": cores(),
        "echo_updates_per_s": round(echo, 1),
    }
    for n, figure in figures.items():
        result[f"replicas_{n}_updates_per_s"] = round(figure, 1)
    first, last = min(counts), max(counts)
    result[f"scaling_{last}_to_{first}"] = round(figures[last] / figures[first], 3)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    result = asyncio.run(run(args.users, args.messages, args.replicas))
    echo = float(result["echo_updates_per_s"])
    budgets = [
        Budget(f"/help through {n} webhook replica(s), PostgreSQL + Redis",
               float(result[f"replicas_{n}_updates_per_s"]), "updates/s", 0.6, "at_least",
               baseline=echo, baseline_label="bare aiogram echo, polling, same emulator setup")
        for n in args.replicas
    ]  # fmt: skip
    finish(result, budgets)


if __name__ == "__main__":
    main()
