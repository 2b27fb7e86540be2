"""Outbox throughput under Telegram's real limits: fan N notifications out to M chats.

    uv run python -m bench.outbox_bench                      # 5,000 messages to 1,000 chats
    uv run python -m bench.outbox_bench --messages 600 --chats 200

Queues the messages as outbox rows (round-robin over the chats, as a burst of alerts would
be) in a scratch SQLite database, then lets the real dispatcher send them through the Bot
paced by the shared limiter, to the emulator enforcing Telegram's limits unscaled (30/s per
bot, 1/s per private chat). Prints JSON: messages/s delivered, 429s received, limit
violations the emulator counted, and the ratio of the rate to the 30/s limit. Budget: at
least 98 % of the limit with zero 429s and no chat above 1 message/s.

`--global-headroom` is the share of the bot-wide rate the limiter uses
(`RateLimits.global_headroom`, the production default unless given): the ratio can never
exceed it. `--global-burst 2` (or 1) shows what the event loop's timer lateness costs
without the burst of 5 that absorbs it.
The emulator runs in its own process, as Telegram does, so that its HTTP work does not
delay the bot's timers.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.common import Budget, emulator_process, finish
from bot.factory import create_bot
from config.logs import configure_logging
from config.settings import Settings
from emulator.client import EmulatorClient
from emulator.config import DEFAULT_TOKEN
from outbox.dispatcher import DispatchConfig, OutboxDispatcher, count_by_state, next_due_at
from outbox.ratelimit import RateLimits, TelegramRateLimiter
from storage.db import create_engine, create_session_factory
from storage.identity import IdentityKeys, generate_key
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tickets.clock import SystemClock

TELEGRAM_LIMIT = 30.0  # messages per second per bot


async def create_chats(client: EmulatorClient, count: int) -> list[int]:
    ids: list[int] = []
    for start in range(0, count, 50):
        batch = range(start, min(start + 50, count))
        users = await asyncio.gather(*(client.create_user(first_name=f"u{n}") for n in batch))
        ids += [user.id for user in users]
    return ids


async def run(
    messages: int, chats: int, *, global_headroom: float, global_burst: int, concurrency: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.sqlite3'}"
        await asyncio.to_thread(upgrade, url)
        keys = IdentityKeys.from_text(generate_key())
        engine = create_engine(url, keys=keys)
        sessions = create_session_factory(engine)
        limits = RateLimits(global_headroom=global_headroom, global_burst=global_burst)
        limiter = TelegramRateLimiter(limits)
        async with (
            emulator_process(rate_limits=True) as (api_url, control_token),
            EmulatorClient(api_url, token=control_token) as client,
        ):
            settings = Settings(_env_file=None, bot_token=DEFAULT_TOKEN, telegram_api_url=api_url)
            bot = create_bot(settings, limiter)
            try:
                chat_ids = await create_chats(client, chats)
                await queue(sessions, keys, chat_ids, messages)
                dispatcher = OutboxDispatcher(
                    bot,
                    sessions,
                    clock=SystemClock(),
                    limiter=limiter,
                    config=DispatchConfig(concurrency=concurrency),
                )
                started = time.perf_counter()
                await drain(dispatcher, sessions)
                seconds = time.perf_counter() - started
                stats = await client.stats()
                async with sessions() as session:
                    states = await count_by_state(session)
            finally:
                await bot.session.close()
                await engine.dispose()
    rate = states.get("sent", 0) / seconds
    return {
        "messages": messages,
        "chats": chats,
        "delivered": states.get("sent", 0),
        "dead": states.get("dead", 0),
        "seconds": round(seconds, 2),
        "messages_per_second": round(rate, 2),
        "limit_per_second": TELEGRAM_LIMIT,
        "ratio_to_limit": round(rate / TELEGRAM_LIMIT, 4),
        "too_many_requests": stats.too_many_requests,
        "limit_violations": stats.limit_violations,
        "global_headroom": global_headroom,
        "global_burst": global_burst,
        "concurrency": concurrency,
    }


async def queue(sessions: Any, keys: IdentityKeys, chat_ids: list[int], messages: int) -> None:
    """Insert the rows in bulk; a bulk insert skips the ORM's insert hook, so the chat's lookup
    hash (which keeps each chat's rows in order) is filled in here."""
    rows = [
        {
            "idempotency_key": f"bench:{n}",
            "chat_id": chat_ids[n % len(chat_ids)],
            "chat_hash": keys.lookup_hash(chat_ids[n % len(chat_ids)]),
            "method": "sendMessage",
            "payload": {"chat_id": chat_ids[n % len(chat_ids)], "text": f"notification {n}"},
            "purpose": "bench",
        }
        for n in range(messages)
    ]
    async with sessions() as session, session.begin():
        await session.execute(insert(OutboxMessage), rows)


async def drain(dispatcher: OutboxDispatcher, sessions: Any) -> None:
    """Send until nothing is pending; a row postponed by a 429 is waited for in real time."""
    while True:
        await dispatcher.send_due()
        async with sessions() as session:
            due = await next_due_at(session)
        if due is None:
            return
        await asyncio.sleep(max(0.0, (due - SystemClock().now()).total_seconds()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument(
        "--global-headroom",
        type=float,
        default=RateLimits().global_headroom,
        help="share of the bot-wide rate used",
    )
    parser.add_argument(
        "--global-burst",
        type=int,
        default=RateLimits().global_burst,
        help="limiter's global burst",
    )
    parser.add_argument("--concurrency", type=int, default=DispatchConfig.concurrency)
    args = parser.parse_args()
    configure_logging("WARNING")
    result = asyncio.run(
        run(
            args.messages,
            args.chats,
            global_headroom=args.global_headroom,
            global_burst=args.global_burst,
            concurrency=args.concurrency,
        )
    )
    finish(result, budgets(result))


def budgets(result: dict[str, Any]) -> list[Budget]:
    rate = float(result["messages_per_second"])
    return [
        Budget("outbox delivery rate", rate, "messages/s", 0.98, "at_least",
               baseline=TELEGRAM_LIMIT, baseline_label="Telegram's limit per bot"),
        Budget("429 answers during delivery", float(result["too_many_requests"]), "count", 0,
               "at_most"),
        Budget("limit violations (over 30/s, or a chat over 1/s)",
               float(result["limit_violations"]), "count", 0, "at_most"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
