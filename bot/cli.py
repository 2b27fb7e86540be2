"""The `snapreport` command: run the bot, the emulator, the demo, and admin chores."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import Settings

app = typer.Typer(
    help="snapreport: snap-a-photo (随手拍) reports of officials' misconduct, on Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
routes_app = typer.Typer(
    help="Routing rules: which department gets which reports.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(routes_app, name="routes")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@app.command()
def run() -> None:
    """Run the bot (long polling) against TELEGRAM_API_URL with the settings in .env."""
    from bot.app import BadTokenError, SnapreportApp
    from bot.factory import MissingTokenError
    from bot.inbox import ReceiveStalled
    from bot.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    try:
        asyncio.run(SnapreportApp(settings).run_forever())
    except (MissingTokenError, BadTokenError) as error:
        raise fail(str(error)) from None
    except ReceiveStalled as error:
        # Exit non-zero so that a supervisor (systemd, Docker, Kubernetes) starts a fresh one.
        raise fail(f"stopped receiving updates: {error}", code=1) from None
    except KeyboardInterrupt:
        pass


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8081,
) -> None:
    """Run the local Telegram Bot API emulator alone; prints its URL and a bot token."""
    from emulator.__main__ import main

    main(["--host", host, "--port", str(port)])


@app.command()
def demo(
    fast: Annotated[bool, typer.Option(help="Skip the pauses between steps.")] = True,
) -> None:
    """Play a full report → alert → reply → survey cycle on the emulator (no token, offline)."""
    from bot.demo import run_demo

    sys.exit(asyncio.run(run_demo()))


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"


@app.command("export")
def export(
    first: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD.")
    ],
    last: Annotated[
        datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (included).")
    ],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="xlsx (3 sheets), csv, or Open311 json.")
    ] = ExportFormat.XLSX,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: snapreport-FROM_TO.FORMAT).")
    ] = None,
    identity: Annotated[
        bool,
        typer.Option(
            "--identity",
            help="Add real-name reporters' names and phones (anonymous ones never appear).",
        ),
    ] = False,
) -> None:
    """Export the tickets received between two local days (TIMEZONE) to a file."""
    from bot.statistics import export_to_file

    if last < first:
        raise fail("--to must not be before --from")
    settings = Settings()
    path, count = asyncio.run(
        export_to_file(
            settings,
            first=first.date(),
            last=last.date(),
            fmt=fmt.value,
            out=out,
            include_identity=identity,
        )
    )
    typer.echo(f"{count} ticket(s) written to {path}")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the schema of DATABASE_URL to the latest revision."""
    from storage.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {revision}: {settings.database_url}")


@routes_app.command("load")
def routes_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML rules file.")],
) -> None:
    """Load departments, routing rules and place tags from a YAML file (replaces rules)."""
    from bot.routes_file import load_routes_file

    settings = Settings()
    summary = asyncio.run(load_routes_file(settings, file))
    typer.echo(summary)


@app.command()
def qr(
    place: Annotated[
        str, typer.Option(help="Place name printed on the poster, e.g. 市民服务中心.")
    ],
    tag: Annotated[str, typer.Option(help="Deep-link tag, A-Za-z0-9_- (≤ 64).")],
    bot_username: Annotated[str, typer.Option(help="The bot's @username, without @.")] = "",
    department: Annotated[str, typer.Option(help="Route reports from here to this dept.")] = "",
    out: Annotated[Path, typer.Option(help="Folder for the PNG and SVG.")] = Path("posters"),
) -> None:
    """Write a printable QR poster (PNG + SVG) for a place, and register its tag."""
    from bot.qr import deep_link, write_poster
    from bot.routes_file import register_tag
    from handlers.reporter import PAYLOAD_RE

    if not PAYLOAD_RE.match(tag):
        raise fail("--tag must be 1-64 characters of A-Z a-z 0-9 _ -")
    settings = Settings()
    username = bot_username or asyncio.run(_bot_username(settings))
    asyncio.run(register_tag(settings, tag=tag, place=place, department=department or None))
    poster = write_poster(out, link=deep_link(username, tag), place=place, tag=tag)
    typer.echo(f"poster: {poster.png}\nvector: {poster.svg}\nlink:   {poster.link}")


async def _bot_username(settings: Settings) -> str:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    if settings.bot_token is None:
        raise fail("Give --bot-username, or set BOT_TOKEN in .env so it can be looked up.")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(settings.bot_token.get_secret_value(), session=session)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username or ""


if __name__ == "__main__":
    app()
