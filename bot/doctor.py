"""`snapreport doctor`: is this deployment ready to run, and if not, what to do about it.

Each check is a small async function of a `Doctor` (the settings, a clock, and the font
lookup, injectable for tests) returning a `CheckResult`; the CLI only prints them.
`snapreport run` runs the same list at start-up and refuses to start when a result is
`fatal` (no database, no valid token, an unusable HOLIDAYS_FILE), so an operator reads
one message with its fix instead of a traceback.

Status: ✓ ok, ⚠ warn (worth fixing, the bot still works: ADMIN_IDS empty, a database
that start-up will migrate, little free disk), ✗ fail (`doctor` exits 1).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.api_session import bot_api_session
from bot.holidays_file import HolidaysFileError, load_calendar
from config.settings import Settings, webhook_secret_problem, wechat_problem
from storage.calendar_days import days_at
from storage.db import identity_keys, is_sqlite
from storage.identity import IdentityDecryptError, IdentityKeyError, is_encrypted
from storage.media import MediaUnavailable
from storage.mediastores import open_media_store
from storage.migrate import alembic_config
from tickets.clock import Clock, SystemClock
from tickets.holidays import LOOKAHEAD_DAYS
from ui.charts import CjkFontNotFound, cjk_font
from wechat.api import MemoryTokenStore, WeChatApi, WeChatApiError

TIMEOUT = 10.0
MIN_FREE_BYTES = 1 << 30
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
ENV = "in .env (see .env.example)"


class Status(StrEnum):
    OK = "✓"
    WARN = "⚠"
    FAIL = "✗"


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: what was checked, how it went, and how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    fatal: bool = False  # `snapreport run` refuses to start

    def line(self) -> str:
        """The printed line, e.g. `✗ database: … → fix: …`."""
        fix = f" → fix: {self.fix}" if self.fix and self.status is not Status.OK else ""
        return f"{self.status.value} {self.name}: {self.detail}{fix}"


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.OK, detail)


@dataclass(frozen=True)
class Doctor:
    """What the checks look at; `find_font` is ui.charts' lookup unless a test swaps it."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    find_font: Callable[[], str] = cjk_font
    # `run` checks WeChat's settings only: a fresh token at every start would spend the
    # account's daily token quota in a crash loop.
    fetch_wechat_token: bool = True


Check = Callable[[Doctor], Awaitable[CheckResult]]


async def check_token(doctor: Doctor) -> CheckResult:
    """getMe with BOT_TOKEN against TELEGRAM_API_URL."""
    settings = doctor.settings
    if settings.bot_token is None and settings.wechat_app_id:
        return ok("token", "no BOT_TOKEN: Telegram is off, WeChat alone serves citizens")
    if settings.bot_token is None:
        fix = f"put BOT_TOKEN=<token from @BotFather> {ENV}, or try `snapreport demo`"
        return CheckResult("token", Status.FAIL, "no BOT_TOKEN", fix, fatal=True)
    try:
        session = bot_api_session(settings.telegram_api_url)
        bot = Bot(settings.bot_token.get_secret_value(), session=session)
    except TokenValidationError:
        fix = f"copy the whole token from @BotFather (digits:letters) {ENV}"
        return CheckResult("token", Status.FAIL, "BOT_TOKEN is malformed", fix, fatal=True)
    try:
        me = await bot.get_me(request_timeout=int(TIMEOUT))
    except TelegramUnauthorizedError:
        detail = f"{settings.telegram_api_url} refused BOT_TOKEN (401 Unauthorized)"
        fix = f"check the token from @BotFather {ENV}"
        return CheckResult("token", Status.FAIL, detail, fix, fatal=True)
    except TelegramAPIError as error:
        detail = f"getMe failed: {type(error).__name__}: {error}"
        return CheckResult("token", Status.FAIL, detail, "see the Bot API URL line")
    finally:
        await bot.session.close()
    return ok("token", f"@{me.username} (getMe on {settings.telegram_api_url})")


async def check_api_url(doctor: Doctor) -> CheckResult:
    """Any HTTP answer from TELEGRAM_API_URL proves the server is reachable."""
    url = doctor.settings.telegram_api_url
    if doctor.settings.bot_token is None and doctor.settings.wechat_app_id:
        return ok("Bot API URL", "not used (no BOT_TOKEN)")
    fix = "check TELEGRAM_API_URL, the network, or a proxy/firewall"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http,
            http.get(url) as response,
        ):
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        detail = f"{url} unreachable: {type(error).__name__}: {error}"
        return CheckResult("Bot API URL", Status.FAIL, detail, fix)
    return ok("Bot API URL", f"{url} reachable (HTTP {status})")


def _sqlite_file_missing(url: str) -> bool:
    database = make_url(url).database
    return (
        is_sqlite(url)
        and database not in (None, "", ":memory:")
        and not Path(database or "").exists()
    )


def _current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


async def _revisions(url: str) -> tuple[str, ...]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revisions)
    finally:
        await engine.dispose()


async def check_database(doctor: Doctor) -> CheckResult:
    """DATABASE_URL answers and its schema is at the Alembic head."""
    settings = doctor.settings
    url = settings.database_url
    try:
        shown = make_url(url).render_as_string(hide_password=True)
        heads = tuple(ScriptDirectory.from_config(alembic_config(url)).get_heads())
        if _sqlite_file_missing(url):  # connecting would create it: say so instead
            return _unmigrated(settings, f"{shown}: no file yet", heads)
        current = await asyncio.wait_for(_revisions(url), TIMEOUT)
    except (SQLAlchemyError, OSError, TimeoutError, ValueError) as error:
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        fix = f"check DATABASE_URL {ENV} and that the database server is running"
        return CheckResult("database", Status.FAIL, f"cannot connect: {reason}", fix, fatal=True)
    if set(current) == set(heads):
        return ok("database", f"{shown} at revision {', '.join(heads)}")
    return _unmigrated(settings, f"{shown} at {', '.join(current) or 'no revision'}", heads)


def _unmigrated(settings: Settings, detail: str, heads: Sequence[str]) -> CheckResult:
    head = ", ".join(heads) or "head"
    if settings.auto_migrate:
        detail = f"{detail}; `run` migrates it to {head} at start-up (AUTO_MIGRATE)"
        return CheckResult("database", Status.WARN, detail, "or `snapreport db upgrade` now")
    return CheckResult("database", Status.FAIL, f"{detail}, not {head}", "snapreport db upgrade")


async def check_media_dir(doctor: Doctor) -> CheckResult:
    """The media store can be written: MEDIA_DIR and its free space, or the MEDIA_URL bucket."""
    settings = doctor.settings
    if settings.media_bucket is not None:
        return await _check_bucket(settings)
    media = settings.media_dir
    try:
        media.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=media, prefix=".doctor-"):
            pass
        free = shutil.disk_usage(media).free
    except OSError as error:
        fix = f"create {media} writable by this user, or set MEDIA_DIR {ENV}"
        return CheckResult("media", Status.FAIL, f"{media} not writable: {error}", fix)
    detail = f"{media} writable, {free / (1 << 30):.1f} GiB free"
    if free < MIN_FREE_BYTES:
        return CheckResult("media", Status.WARN, detail, "free some disk space (photos need it)")
    return ok("media", detail)


async def _check_bucket(settings: Settings) -> CheckResult:
    try:
        store = open_media_store(settings)
        where = await asyncio.wait_for(asyncio.to_thread(store.check), TIMEOUT * 3)
    except (MediaUnavailable, TimeoutError, ValueError) as error:
        fix = (
            f"check MEDIA_URL, S3_ENDPOINT_URL, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY {ENV}, "
            "and that the bucket exists"
        )
        detail = f"bucket unreachable: {type(error).__name__}: {error}"
        return CheckResult("media", Status.FAIL, detail, fix)
    return ok("media", f"{where} reachable")


async def check_font(doctor: Doctor) -> CheckResult:
    """A font that draws Chinese, or every chart shows empty boxes."""
    try:
        family = doctor.find_font()
    except CjkFontNotFound as error:
        fix = "reinstall the Python packages (uv sync): the font ships with them"
        return CheckResult("chart font", Status.FAIL, str(error).split(":")[0], fix)
    return ok("chart font", family)


async def check_timezone(doctor: Doctor) -> CheckResult:
    """TIMEZONE names a zone of the IANA database."""
    name = doctor.settings.timezone
    try:
        local = doctor.clock.now().astimezone(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        fix = "TIMEZONE=Asia/Shanghai (an IANA name); install tzdata if it is missing"
        return CheckResult("time zone", Status.FAIL, f"unknown time zone {name!r}", fix)
    return ok("time zone", f"{name}, local time {local:%Y-%m-%d %H:%M}")


async def check_holidays(doctor: Doctor) -> CheckResult:
    """HOLIDAYS_FILE loads, and the calendar (with the console's dates) covers today and the
    next 90 days."""
    settings = doctor.settings
    try:
        calendar = load_calendar(settings.holidays_file)
    except HolidaysFileError as error:
        fix = "correct the entry (format in holidays.example.yaml)"
        return CheckResult("holidays", Status.FAIL, str(error), fix, fatal=True)
    console = []
    # An unreachable or unmigrated database adds nothing here: the database check says so.
    if not _sqlite_file_missing(settings.database_url):
        with suppress(TimeoutError):
            console = await asyncio.wait_for(days_at(settings.database_url), TIMEOUT)
    calendar = calendar.with_console(console)
    today = doctor.clock.now().astimezone(settings.tz).date()
    last = today + timedelta(days=LOOKAHEAD_DAYS)
    source = f"package + {settings.holidays_file}" if settings.holidays_file else "package"
    source = f"{source} + console" if console else source
    missing = calendar.uncovered_years(today, LOOKAHEAD_DAYS)
    if missing:
        years = ", ".join(map(str, missing))
        detail = f"no schedule for {years} ({source}); deadlines there count Mon–Fri only"
        fix = (
            f"put the State Council's {years} schedule in HOLIDAYS_FILE "
            "(see holidays.example.yaml) or on the console's deadlines page, "
            "or upgrade chinesecalendar"
        )
        return CheckResult("holidays", Status.FAIL, detail, fix)
    return ok("holidays", f"{today} – {last} covered ({source})")


async def check_admins(doctor: Doctor) -> CheckResult:
    """ADMIN_IDS: without them nobody can set up departments or hear of escalations."""
    count = len(doctor.settings.admin_ids)
    if count == 0:
        detail = "ADMIN_IDS not set: no one can administer, escalations reach nobody"
        fix = f"ADMIN_IDS=<your Telegram user id> {ENV}"
        return CheckResult("admins", Status.WARN, detail, fix)
    return ok("admins", f"{count} administrator(s)")


async def check_webhook(doctor: Doctor) -> CheckResult:
    """Webhook mode needs an https URL and a long secret that Telegram will accept."""
    settings = doctor.settings
    if not settings.webhook_url:
        return ok("webhook", "not used (long polling; WEBHOOK_URL empty)")
    if not settings.webhook_url.startswith("https://"):
        fix = "WEBHOOK_URL=https://your.host (Telegram delivers only over https)"
        return CheckResult("webhook", Status.FAIL, "WEBHOOK_URL is not https", fix)
    if problem := webhook_secret_problem(settings):
        detail = problem.split(" Make one with:")[0]
        return CheckResult("webhook", Status.FAIL, detail, f"WEBHOOK_SECRET=$({MAKE_SECRET})")
    return ok("webhook", f"{settings.webhook_url} with a secret")


async def check_wechat(doctor: Doctor) -> CheckResult:
    """The Official Account: settings WeChat accepts, and an access token from its API.

    The token is fetched afresh, which proves the AppID and secret; WeChat keeps the one a
    running service holds valid for five more minutes, and the service refreshes on 40001.
    """
    settings = doctor.settings
    if not settings.wechat_app_id:
        return ok("WeChat", "not used (WECHAT_APP_ID empty)")
    if problem := wechat_problem(settings):
        detail, _, make = problem.partition(" Make one with: ")
        return CheckResult("WeChat", Status.FAIL, detail, make or f"set it {ENV}", fatal=True)
    assert settings.wechat_app_secret is not None
    url = settings.wechat_api_url
    if not doctor.fetch_wechat_token:
        return ok("WeChat", f"AppID {settings.wechat_app_id}: settings accepted")
    api = WeChatApi(
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret.get_secret_value(),
        store=MemoryTokenStore(),
        now=doctor.clock.now,
        base_url=url,
        timeout=TIMEOUT,
    )
    try:
        await api.access_token()
    except WeChatApiError as error:
        fix = f"check WECHAT_APP_ID, WECHAT_APP_SECRET and the platform's IP whitelist {ENV}"
        return CheckResult("WeChat", Status.FAIL, f"{url} refused the AppID: {error}", fix)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        detail = f"{url} unreachable: {type(error).__name__}: {error}"
        return CheckResult("WeChat", Status.FAIL, detail, "check WECHAT_API_URL and the network")
    finally:
        await api.close()
    mode = "safe mode" if settings.wechat_aes_key else "plain mode"
    templates = len(settings.wechat_template_ids)
    detail = f"AppID {settings.wechat_app_id}: access token from {url}, {mode}"
    return ok("WeChat", f"{detail}, {templates} template(s)")


async def check_identity_key(doctor: Doctor) -> CheckResult:
    """IDENTITY_KEY: set, well-formed, and the key the stored identities were encrypted with.

    Starting with another key would file new reports under it while every stored
    identity stays unreadable: refused, as is starting without one.
    """
    fix = "`snapreport keys init` writes one into .env; keep a copy, it cannot be recovered"
    try:
        keys = identity_keys(doctor.settings)
    except IdentityKeyError as error:
        detail = str(error).split(". ")[0]
        return CheckResult("identity key", Status.FAIL, detail, fix, fatal=True)
    try:
        stored = await asyncio.wait_for(_stored_identity(doctor.settings.database_url), TIMEOUT)
        # Ids still in the clear: a database from before encryption, which `run` migrates.
        if stored is not None and is_encrypted(stored):
            keys.decrypt(stored, context=b"int")
    except (IdentityKeyError, IdentityDecryptError) as error:
        detail = f"the stored identities do not open with IDENTITY_KEY: {error}"
        wrong = "use the IDENTITY_KEY this database was written with"
        return CheckResult("identity key", Status.FAIL, detail, wrong, fatal=True)
    except (SQLAlchemyError, OSError, TimeoutError):
        pass  # no database or no table yet: the database line says so
    return ok("identity key", f"key id {keys.key_id}")


async def _stored_identity(url: str) -> str | None:
    """One stored, encrypted reporter id, read raw (no key needed to fetch it)."""
    if _sqlite_file_missing(url):
        return None
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            value = await connection.scalar(
                text("SELECT channel_user_id FROM reporter ORDER BY id LIMIT 1")
            )
    finally:
        await engine.dispose()
    return None if value is None else str(value)


CHECKS: tuple[Check, ...] = (
    check_token,
    check_api_url,
    check_database,
    check_media_dir,
    check_font,
    check_timezone,
    check_holidays,
    check_admins,
    check_webhook,
    check_wechat,
    check_identity_key,
)


async def run_checks(doctor: Doctor, checks: Sequence[Check] = CHECKS) -> list[CheckResult]:
    """Run every check, one after another, in the order they are printed."""
    return [await check(doctor) for check in checks]


def exit_code(results: Sequence[CheckResult]) -> int:
    """1 when anything failed, else 0 (warnings do not fail)."""
    return int(any(result.status is Status.FAIL for result in results))


def blocking(results: Sequence[CheckResult]) -> list[CheckResult]:
    """The failures `snapreport run` must not start with."""
    return [result for result in results if result.fatal and result.status is Status.FAIL]
