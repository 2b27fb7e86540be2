"""Runs the emulator on its own: `python -m emulator [--port 8081]`, until interrupted.

Handy for pointing a bot started by hand (TELEGRAM_API_URL, BOT_TOKEN) at it and driving the
users through the control API.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from emulator.config import DEFAULT_TOKEN, BotIdentity, EmulatorConfig
from emulator.server import EmulatorServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="snapreport_bot")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="multiply every rate")
    parser.add_argument("--no-limits", action="store_true", help="disable the rate limits")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault injector")
    return parser.parse_args(argv)


async def start(args: argparse.Namespace) -> EmulatorServer:
    """Start the emulator and print where it listens and which token it accepts."""
    config = EmulatorConfig(
        bots=(BotIdentity(token=args.token, username=args.username),),
        rate_scale=args.rate_scale,
        rate_limits=not args.no_limits,
        seed=args.seed,
    )
    server = EmulatorServer(config)
    url = await server.start(args.host, args.port)
    sys.stdout.write(f"Telegram Bot API emulator at {url}\nTELEGRAM_API_URL={url}\n")
    sys.stdout.write(f"BOT_TOKEN={server.token}\n")
    sys.stdout.flush()
    return server


async def serve(args: argparse.Namespace) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    server = await start(args)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
