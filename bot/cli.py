"""The `snapreport` command: run the bot, the emulator, the demo, and admin chores."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from config.settings import Settings, webhook_secret_problem

if TYPE_CHECKING:
    from scheduler.retention import PurgeReport

T = TypeVar("T")

app = typer.Typer(
    help="snapreport: snap-a-photo (随手拍) reports of officials' misconduct, on Telegram.",
    no_args_is_help=True,
    add_completion=False,
    # A crash prints through `main()`: plain, redacted, and never with local variables
    # (a Message in scope would print a reporter's name; a URL, the bot token).
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
routes_app = typer.Typer(
    help="Routing rules: which department gets which reports.", no_args_is_help=True
)
keys_app = typer.Typer(help="Secret keys kept in .env.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(routes_app, name="routes")
app.add_typer(keys_app, name="keys")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def refused_by_domain() -> Iterator[None]:
    """Turn a refusal of the domain into a message and exit code 2, nothing written."""
    from tickets.errors import DomainError

    try:
        yield
    except DomainError as error:
        if error.code == "department_archived":
            name = error.params.get("name")
            message = f"The department {name} is archived: nothing may be routed there."
            raise fail(message) from None
        raise fail(f"Refused: {error}") from None


@app.command()
def run() -> None:
    """Run the bot (long polling) against TELEGRAM_API_URL with the settings in .env."""
    from bot.app import BadTokenError, InsecureWebhookError
    from bot.doctor import Doctor, Status, blocking, run_checks
    from bot.factory import MissingTokenError
    from bot.inbox import ReceiveStalled
    from bot.wechat_app import InsecureWeChatError, run_channels
    from config.logs import configure_logging
    from config.settings import wechat_problem

    settings = Settings()
    if problem := webhook_secret_problem(settings) or wechat_problem(settings):
        raise fail(problem)
    hash_key = settings.log_hash_key
    configure_logging(
        settings.log_level,
        json=settings.log_json,
        hash_key=hash_key.get_secret_value() if hash_key else None,
        secrets=settings.secret_values(),
    )
    results = asyncio.run(run_checks(Doctor(settings, fetch_wechat_token=False)))
    for result in results:
        if result.status is not Status.OK:
            typer.echo(result.line(), err=True)
    if stoppers := blocking(results):
        raise fail("not starting: " + "; ".join(r.name for r in stoppers) + " (see above)")
    try:
        asyncio.run(run_channels(settings))
    except (MissingTokenError, BadTokenError, InsecureWebhookError, InsecureWeChatError) as error:
        raise fail(str(error)) from None
    except ReceiveStalled as error:
        # Exit non-zero so that a supervisor (systemd, Docker, Kubernetes) starts a fresh one.
        raise fail(f"stopped receiving updates: {error}", code=1) from None
    except KeyboardInterrupt:
        pass


@app.command()
def doctor() -> None:
    """Check the token, Bot API, database, media, font, time zone, holidays, admins, webhook."""
    from bot.doctor import Doctor, exit_code, run_checks

    results = asyncio.run(run_checks(Doctor(Settings())))
    for result in results:
        typer.echo(result.line())
    raise typer.Exit(exit_code(results))


@app.command()
def console(
    port: Annotated[
        int | None, typer.Option(help="Port (default WEBHOOK_PORT), on WEBHOOK_HOST.")
    ] = None,
) -> None:
    """Serve the web console alone at /console (the bot may run elsewhere on the same
    database; its outbox sends what the console's actions cause)."""
    from bot.console_app import serve_console

    settings = Settings()
    if not settings.console_url:
        raise fail("CONSOLE_URL is not set: the bot could not send login links")
    typer.echo(
        f"console on http://{settings.webhook_host}:{port or settings.webhook_port}/console/"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_console(settings, host=settings.webhook_host, port=port or settings.webhook_port)
        )


@app.command()
def emulator(
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8081,
    public: Annotated[
        bool, typer.Option(help="Listen on all interfaces, not only 127.0.0.1 (warns).")
    ] = False,
) -> None:
    """Run the local Telegram Bot API emulator alone; prints its URL, a bot token and the
    control API's token."""
    from emulator.__main__ import main

    main(["--port", str(port), *(["--public"] if public else [])])


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WECHAT = "wechat"


@app.command()
def demo(
    fast: Annotated[bool, typer.Option(help="Skip the pauses between steps.")] = True,
    channel: Annotated[
        Channel,
        typer.Option(help="Where the citizen is: telegram, or wechat (the office on Telegram)."),
    ] = Channel.TELEGRAM,
    web: Annotated[
        bool,
        typer.Option(
            "--web",
            help="Play it yourself in a browser instead: a citizen's and a supervisor's phone.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="The --web page's port (0 picks a free one).")] = 8090,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the --web page in a browser.")
    ] = True,
) -> None:
    """Play a full report → alert → reply → survey cycle on the emulator (no token, offline)."""
    if web:
        from bot.sandbox import run_sandbox

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_sandbox(port=port, open_browser=open_browser))
        return
    if channel is Channel.WECHAT:
        from bot.demo_wechat import run_wechat_demo

        sys.exit(asyncio.run(run_wechat_demo()))
    from bot.demo import run_demo

    sys.exit(asyncio.run(run_demo()))


class Language(StrEnum):
    ZH_CN = "zh_CN"
    EN = "en"


LANG_HELP = "Language of the words in it (default: DEFAULT_LANGUAGE)."


def _translator(settings: Settings, lang: Language | None) -> Callable[[str], str]:
    from ui.i18n import create_i18n, translator

    locale = lang.value if lang else settings.default_language
    return translator(create_i18n(locale), locale)


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
    lang: Annotated[Language | None, typer.Option(help=LANG_HELP)] = None,
) -> None:
    """Export the tickets received between two local days (TIMEZONE) to a file."""
    from outbox.statistics import export_to_file

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
            lang=lang.value if lang else None,
        )
    )
    typer.echo(f"{count} ticket(s) written to {path}")


@app.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be deleted; change nothing.")
    ] = False,
) -> None:
    """Delete what is past its retention period (the *_RETENTION_* settings), audited.

    The bot runs the same purge daily; this runs it now. Closed tickets past
    CLOSED_TICKET_RETENTION_DAYS, and praises past PRAISE_RETENTION_DAYS, keep only the
    figures statistics count.
    """
    from scheduler.retention import KIND_LABELS, RetentionPolicy
    from scheduler.retention import purge as run_purge
    from storage.db import create_session_factory, engine_for
    from storage.identity import IdentityKeyError
    from storage.mediastores import open_media_store
    from tickets.clock import SystemClock

    settings = Settings()
    try:
        engine = engine_for(settings)
    except IdentityKeyError as error:
        raise fail(str(error)) from None

    async def go() -> PurgeReport:
        try:
            return await run_purge(
                create_session_factory(engine),
                clock=SystemClock(),
                media=open_media_store(settings),
                policy=RetentionPolicy.from_settings(settings),
                dry_run=dry_run,
                trigger="command",
            )
        finally:
            await engine.dispose()

    report = asyncio.run(go())
    verb = "would delete" if dry_run else "deleted"
    for kind, count in report.counts.items():
        typer.echo(f"{count:>7}  {KIND_LABELS.get(kind, kind)}")
    summary = f"{report.total} record(s) {verb}"
    typer.echo(f"{summary} (dry run: nothing changed)" if dry_run else f"{summary}; audited")


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
    from storage.routes_file import load_routes_file

    settings = Settings()
    with refused_by_domain():
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
    lang: Annotated[Language | None, typer.Option(help=LANG_HELP)] = None,
    channel: Annotated[
        Channel,
        typer.Option(
            help="telegram: a t.me deep link; wechat: a permanent QR code of the Official "
            "Account (WECHAT_APP_ID and WECHAT_APP_SECRET), its scene the tag."
        ),
    ] = Channel.TELEGRAM,
) -> None:
    """Write a printable QR poster (PNG + SVG) for a place, and register its tag."""
    from storage.routes_file import register_tag
    from tickets.routing import SOURCE_TAG_RE
    from ui.qr import write_poster

    if not SOURCE_TAG_RE.match(tag):
        raise fail("--tag must be 1-64 characters of A-Z a-z 0-9 _ -")
    settings = Settings()
    link = asyncio.run(_qr_link(settings, channel, tag, bot_username))
    with refused_by_domain():
        asyncio.run(register_tag(settings, tag=tag, place=place, department=department or None))
    tr = _translator(settings, lang)
    poster = write_poster(out, link=link, place=place, tag=tag, tr=tr)
    typer.echo(f"poster: {poster.png}\nvector: {poster.svg}\nlink:   {poster.link}")


@app.command("wechat-menu")
def wechat_menu() -> None:
    """Give the WeChat Official Account its menu: 随手拍, 我的举报, 使用说明."""
    from bot.wechat_app import install_menu

    settings = Settings()
    menu = asyncio.run(_wechat_call(settings, lambda: install_menu(settings)))
    names = " | ".join(button["name"] for button in menu["button"])
    typer.echo(f"menu installed: {names}")


async def _wechat_call(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run a one-off call of the Official Account's API, its failures as CLI messages."""
    import aiohttp

    from wechat.api import WeChatApiError

    if settings.wechat_app_id is None or settings.wechat_app_secret is None:
        raise fail("This needs WECHAT_APP_ID and WECHAT_APP_SECRET in .env.")
    try:
        return await work()
    except WeChatApiError as error:
        raise fail(f"WeChat refused it: {error}") from None
    except (aiohttp.ClientError, TimeoutError) as error:
        message = f"WeChat's API at {settings.wechat_api_url} is unreachable ({error!r})."
        raise fail(message) from None


async def _qr_link(settings: Settings, channel: Channel, tag: str, bot_username: str) -> str:
    """What the poster's code encodes: a deep link, or WeChat's URL for the tag's QR code."""
    from ui.qr import deep_link

    if channel is Channel.TELEGRAM:
        return deep_link(bot_username or await _bot_username(settings), tag)
    from bot.wechat_app import place_qr_link

    return await _wechat_call(settings, lambda: place_qr_link(settings, tag))


async def _bot_username(settings: Settings) -> str:
    from aiogram import Bot

    from bot.api_session import bot_api_session

    if settings.bot_token is None:
        raise fail("Give --bot-username, or set BOT_TOKEN in .env so it can be looked up.")
    session = bot_api_session(settings.telegram_api_url)
    bot = Bot(settings.bot_token.get_secret_value(), session=session)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username or ""


def _env_line(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*(?:export\s+)?{name}\s*=\s*(?P<value>.*?)\s*$")


def ensure_env_key(
    env_file: Path, name: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(32)
) -> bool:
    """Give `name` a fresh random value in `env_file` unless it has one; True if written."""
    pattern = _env_line(name)
    lines = env_file.read_text(encoding="utf-8").splitlines() if env_file.exists() else []
    line = f"{name}={make()}"
    for index, existing in enumerate(lines):
        found = pattern.match(existing)
        if found is None:
            continue
        if found["value"].strip("'\""):
            return False
        lines[index] = line  # `NAME=` as copied from .env.example
        break
    else:
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if env_file.exists():
        env_file.write_text(text, encoding="utf-8")
    else:
        # Created readable by the bot's user only: it holds keys.
        descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    return True


@keys_app.command("init")
def keys_init(
    env_file: Annotated[Path, typer.Option(help="The .env file to complete.")] = Path(".env"),
) -> None:
    """Write a random LOG_HASH_KEY and IDENTITY_KEY into .env where unset (safe to rerun)."""
    from storage.identity import generate_key

    for name, make in (("LOG_HASH_KEY", None), ("IDENTITY_KEY", generate_key)):
        if ensure_env_key(env_file, name, *([make] if make else [])):
            typer.echo(f"{name} written to {env_file}")
        else:
            typer.echo(f"{name} already set in {env_file}; left as it is")
    typer.echo(
        "Keep a copy of IDENTITY_KEY apart from the database backups: without it the "
        "stored identities cannot be read; with it, a stolen backup can."
    )


@keys_app.command("rotate")
def keys_rotate(
    old_key: Annotated[
        str | None,
        typer.Option(
            "--old-key",
            envvar="IDENTITY_KEY_OLD",
            show_envvar=False,
            help="The key the data is encrypted with now (default: IDENTITY_KEY_OLD).",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per batch.")] = 500,
) -> None:
    """Re-encrypt every stored identity under IDENTITY_KEY (stop the bot first).

    Put the new key in IDENTITY_KEY and the current one in IDENTITY_KEY_OLD (or give
    --old-key); one transaction: on any error nothing changes. Then the sealed original
    uploads in the media store are re-sealed one by one (safe to run again). Remove
    IDENTITY_KEY_OLD afterwards.
    """
    from storage.custody import reseal_originals
    from storage.db import create_engine, create_session_factory
    from storage.identity import IdentityKeyError, IdentityKeys
    from storage.mediastores import open_media_store
    from storage.migrate import upgrade
    from storage.rotation import rotate_identity_keys

    settings = Settings()
    old = old_key or (
        settings.identity_key_old.get_secret_value() if settings.identity_key_old else ""
    )
    if settings.identity_key is None or not old.strip():
        raise fail(
            "set IDENTITY_KEY to the new key and IDENTITY_KEY_OLD (or --old-key) to the old"
        )
    try:
        keys = IdentityKeys.from_text(settings.identity_key.get_secret_value(), old=[old])
    except IdentityKeyError as error:
        raise fail(str(error)) from None

    async def rotate() -> int:
        await asyncio.to_thread(upgrade, settings.database_url, keys=keys)
        engine = create_engine(settings.database_url, keys=keys)
        try:
            sessions = create_session_factory(engine)
            report = await rotate_identity_keys(sessions, batch_size=batch_size)
            for table, count in report.rows.items():
                typer.echo(f"{table}: {count} row(s)")
            # Files cannot join the transaction: re-sealed after it, each file on its own.
            sealed = await reseal_originals(sessions, open_media_store(settings))
        finally:
            await engine.dispose()
        typer.echo(
            f"original uploads: {sealed.resealed} re-sealed, {sealed.current} already under "
            f"the new key, {sealed.missing} missing, {sealed.damaged} unreadable"
        )
        if sealed.damaged:
            typer.echo(
                "some originals could not be opened with either key: they stay as they are "
                "and are refused when asked for (see the log for their hashes)",
                err=True,
            )
        return report.total()

    total = asyncio.run(rotate())
    typer.echo(f"{total} row(s) now under key id {keys.key_id}; remove IDENTITY_KEY_OLD from .env")


def main() -> None:
    """Run the command line; a crash prints a plain traceback with secrets redacted."""
    from config.logs import plain_traceback_text

    try:
        app()
    except Exception as error:
        known: list[str] = []
        with contextlib.suppress(Exception):  # the settings may be what failed
            known = Settings().secret_values()
        sys.stderr.write(plain_traceback_text(error, known))
        sys.exit(1)


if __name__ == "__main__":
    main()
