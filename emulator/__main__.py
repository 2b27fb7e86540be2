"""Runs the emulator on its own: `python -m emulator [--port 8081]`, until interrupted.

Handy for pointing a bot started by hand (TELEGRAM_API_URL, BOT_TOKEN) at it and driving the
users through the control API with the printed EMULATOR_CONTROL_TOKEN. It listens on
loopback only; `--public` opens it to other machines, with a warning.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys

from emulator import tokens
from emulator.config import DEFAULT_TOKEN, BotIdentity, EmulatorConfig
from emulator.server import EmulatorServer

LOOPBACK = "127.0.0.1"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument(
        "--host", default=None, help="interface to listen on (loopback unless --public)"
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="listen beyond this machine (all interfaces unless --host says which)",
    )
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="snapreport_bot")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="multiply every rate")
    parser.add_argument("--no-limits", action="store_true", help="disable the rate limits")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault injector")
    return parser.parse_args(argv)


def listen_host(args: argparse.Namespace) -> str:
    """Loopback, unless `--public` opens it up; anything else without it is refused."""
    if args.public:
        return str(args.host or "0.0.0.0")  # all interfaces: what --public asks for
    host = str(args.host or LOOPBACK)
    if not is_loopback(host):
        raise SystemExit(
            f"refusing to listen on {host}: the emulator plays every user and shows every "
            "chat; pass --public to allow that"
        )
    return host


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def start(args: argparse.Namespace) -> EmulatorServer:
    """Start the emulator and print where it listens, its bot token and its control token."""
    host = listen_host(args)
    config = EmulatorConfig(
        bots=(BotIdentity(token=args.token, username=args.username),),
        rate_scale=args.rate_scale,
        rate_limits=not args.no_limits,
        seed=args.seed,
    )
    server = EmulatorServer(config)
    url = await server.start(host, args.port)
    if args.public:
        sys.stderr.write(
            f"WARNING: the emulator listens on {host}, reachable from other machines. Its "
            "control API plays any user and reads every chat; only its token guards it.\n"
        )
    sys.stdout.write(f"Telegram Bot API emulator at {url}\nTELEGRAM_API_URL={url}\n")
    sys.stdout.write(f"BOT_TOKEN={server.token}\n")
    sys.stdout.write(f"{tokens.ENV_VAR}={server.control_token}\n")
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
