"""`snapreport doctor` and the same checks at `snapreport run`'s start-up: one ✓/⚠/✗ line
per check with its fix, exit 1 on any ✗, and `run` refusing to start on the fatal ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.doctor import (
    CheckResult,
    Doctor,
    Status,
    blocking,
    check_media_dir,
    check_webhook,
    exit_code,
    run_checks,
)
from config.settings import Settings
from emulator.server import EmulatorServer
from storage.calendar_days import SqlCalendarDays
from storage.migrate import upgrade
from tests.cli.test_run_command import project_env, run_cli
from tests.s3server import SECRET_KEY, S3Server, bucket_media
from tickets.clock import ManualClock
from tickets.holidays import CalendarDay
from ui.charts import CjkFontNotFound

# A day whose next 90 days the packaged calendar covers (chinesecalendar knows 2026).
COVERED = datetime(2026, 6, 1, 1, tzinfo=UTC)
# 2026-11-23: the 90 days ahead reach into 2027, which the package does not know.
LATE = datetime(2026, 11, 23, 1, tzinfo=UTC)
BROKEN_DB = "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none"


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


async def migrated(settings: Settings) -> Settings:
    await asyncio.to_thread(upgrade, settings.database_url)
    return settings


async def test_doctor_against_the_emulator_is_all_green(
    settings: Settings, emulator: EmulatorServer
) -> None:
    results = await run_checks(Doctor(await migrated(settings), ManualClock(COVERED)))

    lines = [result.line() for result in results]
    assert all(line.startswith("✓ ") for line in lines), "\n".join(lines)
    assert exit_code(results) == 0
    named = by_name(results)
    assert set(named) == {
        "token", "Bot API URL", "identity key", "database", "media", "chart font",
        "time zone", "holidays", "admins", "webhook", "WeChat",
    }  # fmt: skip
    assert emulator.url in named["token"].detail
    assert "at revision" in named["database"].detail


async def test_a_broken_database_url_is_a_fatal_failure(settings: Settings) -> None:
    broken = settings.model_copy(update={"database_url": BROKEN_DB})
    results = await run_checks(Doctor(broken, ManualClock(COVERED)))

    database = by_name(results)["database"]
    assert database.status is Status.FAIL and database.fatal
    assert "cannot connect" in database.detail and "DATABASE_URL" in database.fix
    assert "secret" not in database.line()  # the password is never printed
    assert blocking(results) == [database]
    assert exit_code(results) == 1


async def test_a_missing_chart_font_fails_with_the_package_to_install(
    settings: Settings,
) -> None:
    def no_font() -> str:
        raise CjkFontNotFound("no CJK font found for charts: install one")

    results = await run_checks(Doctor(await migrated(settings), ManualClock(COVERED), no_font))

    font = by_name(results)["chart font"]
    assert font.line() == (
        "✗ chart font: no CJK font found for charts"
        " → fix: reinstall the Python packages (uv sync): the font ships with them"
    )
    assert not font.fatal and blocking(results) == []
    assert exit_code(results) == 1


async def test_an_uncovered_year_ahead_fails_until_holidays_file_covers_it(
    settings: Settings, tmp_path: Path
) -> None:
    clock = ManualClock(LATE)
    holidays = by_name(await run_checks(Doctor(settings, clock)))["holidays"]
    assert holidays.status is Status.FAIL and not holidays.fatal
    assert "no schedule for 2027" in holidays.detail and "HOLIDAYS_FILE" in holidays.fix

    file = tmp_path / "holidays.yaml"
    file.write_text("holidays:\n  - {date: 2027-01-01, name: 元旦}\n", encoding="utf-8")
    covered = settings.model_copy(update={"holidays_file": file})
    holidays = by_name(await run_checks(Doctor(covered, clock)))["holidays"]
    assert holidays.line() == f"✓ holidays: 2026-11-23 – 2027-02-21 covered (package + {file})"


async def test_a_year_ahead_set_in_the_console_counts_as_covered(settings: Settings) -> None:
    migrated_settings = await migrated(settings)
    engine = create_async_engine(settings.database_url)
    async with AsyncSession(engine) as session:
        new_year = CalendarDay(date(2027, 1, 1), working=False, name="元旦", added_by="admin")
        await SqlCalendarDays(session).add_days([new_year])
        await session.commit()
    await engine.dispose()
    holidays = by_name(await run_checks(Doctor(migrated_settings, ManualClock(LATE))))["holidays"]
    assert holidays.line() == "✓ holidays: 2026-11-23 – 2027-02-21 covered (package + console)"


RANDOM_SECRET = "q7Rk2mXz9P_vLw3NcB8tHy4JdF6sGa-E"


@pytest.mark.parametrize(
    ("url", "secret", "expected"),
    [
        (None, None, "✓ webhook: not used"),
        ("http://bot.example.org", "x" * 40, "✗ webhook: WEBHOOK_URL is not https"),
        ("https://bot.example.org", None, "✗ webhook: WEBHOOK_SECRET is not set"),
        ("https://bot.example.org", "short", "✗ webhook: WEBHOOK_SECRET is 5 characters"),
        ("https://bot.example.org", "ü" * 40, "✗ webhook: WEBHOOK_SECRET may hold only"),
        ("https://bot.example.org", "A1_-" * 8, "✗ webhook: WEBHOOK_SECRET repeats"),
        ("https://bot.example.org", RANDOM_SECRET, "✓ webhook: https://bot.example.org"),
    ],
)
async def test_webhook_settings_must_be_https_with_a_long_secret(
    url: str | None, secret: str | None, expected: str
) -> None:
    settings = Settings(
        _env_file=None,
        webhook_url=url,
        webhook_secret=SecretStr(secret) if secret else None,
    )
    line = (await check_webhook(Doctor(settings))).line()
    assert line.startswith(expected), line
    if line.startswith("✗ webhook: WEBHOOK_SECRET"):
        assert "secrets.token_urlsafe(32)" in line


def broken_db_env(tmp_path: Path, emulator: EmulatorServer) -> dict[str, str]:
    """The environment of a project whose DATABASE_URL cannot connect."""
    return project_env(tmp_path) | {
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "DATABASE_URL": BROKEN_DB,
    }


async def test_run_refuses_to_start_with_a_broken_database_url(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    env = broken_db_env(tmp_path, emulator)
    code, output = await run_cli("run", env=env, cwd=tmp_path)
    assert code == 2
    assert "✗ database: cannot connect" in output and "DATABASE_URL" in output
    assert "not starting: database" in output


async def test_doctor_command_prints_a_line_per_check_and_exits_1_on_a_failure(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    env = broken_db_env(tmp_path, emulator)
    code, output = await run_cli("doctor", env=env, cwd=tmp_path)
    assert code == 1, output
    lines = output.splitlines()
    assert lines[0].startswith("✓ token: @") and lines[1].startswith("✓ Bot API URL:")
    assert lines[2].startswith("✗ database: cannot connect")
    assert len([line for line in lines if line[:2] in {"✓ ", "⚠ ", "✗ "}]) == 11


async def test_a_corrupt_holidays_file_stops_doctor_and_run_naming_file_and_line(
    settings: Settings, tmp_path: Path, emulator: EmulatorServer
) -> None:
    file = tmp_path / "holidays.yaml"
    file.write_text(
        "holidays:\n  - {date: 2027-01-01, name: 元旦}\n  - {date: 2027-13-01, name: x}\n",
        encoding="utf-8",
    )
    expected = f"✗ holidays: {file}:3: holidays.1.date: Input should be a valid date"
    results = await run_checks(
        Doctor(settings.model_copy(update={"holidays_file": file}), ManualClock(COVERED))
    )
    assert by_name(results)["holidays"].line().startswith(expected)
    assert exit_code(results) == 1 and by_name(results)["holidays"] in blocking(results)

    env = project_env(tmp_path) | {
        "BOT_TOKEN": emulator.token,
        "TELEGRAM_API_URL": emulator.url,
        "HOLIDAYS_FILE": str(file),
    }
    code, output = await run_cli("run", env=env, cwd=tmp_path)
    assert code == 2, output
    assert expected in output and "not starting: holidays" in output


def bucket_settings(settings: Settings, s3: S3Server, bucket: str) -> Settings:
    return settings.model_copy(update=bucket_media(s3, bucket, "media"))


async def test_a_reachable_media_bucket_passes(
    settings: Settings, s3: S3Server, bucket: str
) -> None:
    media = await check_media_dir(Doctor(bucket_settings(settings, s3, bucket)))

    assert media.status is Status.OK
    assert f"s3://{bucket}/media" in media.detail


async def test_a_missing_media_bucket_fails_with_the_settings_to_check(
    settings: Settings, s3: S3Server
) -> None:
    media = await check_media_dir(Doctor(bucket_settings(settings, s3, "not-created")))

    assert media.status is Status.FAIL
    assert "not-created" in media.detail and "MEDIA_URL" in media.fix
    assert SECRET_KEY not in media.line()
