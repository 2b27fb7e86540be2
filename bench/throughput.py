"""End-to-end updates/s: inject K messages from M users through the emulator and wait
until the bot has answered every one.

    uv run python -m bench.throughput --messages 2000 --users 50

Prints JSON: the bare aiogram echo baseline, the same echo committing each update to a
SQLite table first (one write transaction per update, the least a durable inbox costs),
and snapreport handling the same traffic (`/help` from each user, answered from the real
dispatcher with its inbox, database unit of work and middlewares), and the ratios; budget:
at least 0.6 × the bare echo. The emulator runs in its
own process (a fresh one for each bot) with its rate limits off, so the figures measure
the bots, not Telegram's limits, and the emulator's HTTP work does not share their CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import Budget, bot_on_emulator, emulator_process, finish
from bench.echo_bot import start_echo_bot, stop_echo_bot
from config.logs import configure_logging
from emulator.client import EmulatorClient
from emulator.config import DEFAULT_TOKEN

SendOne = Callable[[EmulatorClient, int, int], Awaitable[object]]


async def sent_messages(client: EmulatorClient) -> int:
    stats = await client.stats()
    return stats.requests.get("sendMessage", 0)


async def inject_and_wait(
    client: EmulatorClient, *, users: int, messages: int, send: SendOne, patience: float = 300
) -> float:
    """Send `messages` spread over `users`; seconds until the bot answered them all."""
    user_ids = [(await client.create_user(first_name=f"u{i}")).id for i in range(users)]
    baseline = await sent_messages(client)
    started = time.perf_counter()
    per_user = [messages // users + (1 if i < messages % users else 0) for i in range(users)]

    async def one_user(user_id: int, count: int) -> None:
        for n in range(count):
            await send(client, user_id, n)

    await asyncio.gather(*(one_user(uid, c) for uid, c in zip(user_ids, per_user, strict=True)))
    deadline = started + patience
    while await sent_messages(client) - baseline < messages:
        if time.perf_counter() > deadline:
            raise TimeoutError("the bot did not answer every message in time")
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


async def send_text(client: EmulatorClient, user_id: int, n: int) -> object:
    return await client.send_text(user_id, f"hello {n}")


async def send_help(client: EmulatorClient, user_id: int, n: int) -> object:
    return await client.send_command(user_id, "help")


async def measure_echo(users: int, messages: int, *, journal: bool = False) -> float:
    """The echo's updates/s; with `journal`, committing each update to SQLite first."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'journal.sqlite3'}" if journal else None
        return await _measure_echo(users, messages, journal_url=url)


async def _measure_echo(users: int, messages: int, *, journal_url: str | None) -> float:
    async with emulator_process() as (url, control):
        echo = await start_echo_bot(url, DEFAULT_TOKEN, journal_url=journal_url)
        try:
            async with EmulatorClient(url, token=control) as client:
                seconds = await inject_and_wait(
                    client, users=users, messages=messages, send=send_text
                )
        finally:
            await stop_echo_bot(echo)
    return messages / seconds


async def measure_snapreport(users: int, messages: int) -> float:
    async with bot_on_emulator() as (client, _url, _control):
        seconds = await inject_and_wait(client, users=users, messages=messages, send=send_help)
    return messages / seconds


async def run(users: int, messages: int) -> dict[str, Any]:
    echo = await measure_echo(users, messages)
    journaled = await measure_echo(users, messages, journal=True)
    ours = await measure_snapreport(users, messages)
    return {
        "benchmark": "inbound updates handled end to end",
        "users": users,
        "messages": messages,
        "echo_updates_per_s": round(echo, 1),
        # What one committed SQLite write per update costs alone: the floor of any bot
        # that keeps its updates durably, beside which snapreport's inbox is measured.
        "echo_with_one_commit_updates_per_s": round(journaled, 1),
        "ratio_echo_with_one_commit_to_echo": round(journaled / echo, 3),
        "snapreport_updates_per_s": round(ours, 1),
        "ratio_snapreport_to_echo": round(ours / echo, 3),
        "ratio_snapreport_to_echo_with_one_commit": round(ours / journaled, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    result = asyncio.run(run(args.users, args.messages))
    finish(
        result,
        [
            Budget("text updates end to end", float(result["snapreport_updates_per_s"]),
                   "updates/s", 0.6, "at_least", baseline=float(result["echo_updates_per_s"]),
                   baseline_label="bare aiogram echo, same emulator process setup",
                   note="the same echo committing each update to SQLite first: "
                   f"{result['echo_with_one_commit_updates_per_s']} updates/s = "
                   f"{result['ratio_echo_with_one_commit_to_echo']} × echo"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
