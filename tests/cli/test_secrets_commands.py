"""Secrets at the command line: `keys init`, webhook start-up refusal, and crashes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli import app
from config.settings import Settings, webhook_secret_problem
from storage.identity import parse_key
from tests.cli.test_run_command import SNAPREPORT, project_env, run_process
from tests.conftest import WEBHOOK_SECRET

TOKEN = "123456789:AAHk3vT0pQz_x9LmNc2RbW7sYd4Ge-5fUjI"
# Configured in BOT_TOKEN but not shaped like a token: only known-secret redaction finds it.
ODD_TOKEN = "4242:configured-but-odd"


def keys_init(env_file: Path) -> str:
    result = CliRunner().invoke(app, ["keys", "init", "--env-file", str(env_file)])
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_init_creates_a_private_env_file_with_a_random_key(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    assert "written" in keys_init(env_file)
    key = Settings(_env_file=env_file).log_hash_key
    assert key is not None and len(key.get_secret_value()) >= 40
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    other = tmp_path / "other.env"
    keys_init(other)
    assert Settings(_env_file=other).log_hash_key != key  # random, not a constant


def test_keys_init_is_idempotent_and_keeps_the_other_settings(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_TOKEN=1:abc\nLOG_HASH_KEY=\nLOG_JSON=true\n", encoding="utf-8")
    keys_init(env_file)
    first = env_file.read_text(encoding="utf-8")
    assert "already set" in keys_init(env_file)
    assert env_file.read_text(encoding="utf-8") == first
    lines = first.splitlines()
    assert lines[0] == "BOT_TOKEN=1:abc" and lines[2] == "LOG_JSON=true"
    assert lines[1].startswith("LOG_HASH_KEY=") and len(lines[1]) > len("LOG_HASH_KEY=") + 40


def test_keys_init_leaves_an_existing_key_alone(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('export LOG_HASH_KEY="chosen-by-the-operator"\n', encoding="utf-8")
    keys_init(env_file)
    lines = env_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == 'export LOG_HASH_KEY="chosen-by-the-operator"'
    assert [line.split("=")[0] for line in lines[1:]] == ["IDENTITY_KEY"]  # only what was missing


def test_keys_init_writes_a_32_byte_identity_key_once(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    assert "IDENTITY_KEY written" in keys_init(env_file)
    key = Settings(_env_file=env_file).identity_key
    assert key is not None and len(parse_key(key.get_secret_value())) == 32
    assert "IDENTITY_KEY already set" in keys_init(env_file)
    assert Settings(_env_file=env_file).identity_key == key


def webhook_settings(secret: str | None) -> Settings:
    return Settings(
        _env_file=None,
        webhook_url="https://bot.example.org",
        webhook_secret=SecretStr(secret) if secret is not None else None,
    )


def test_webhook_secret_problem_accepts_only_long_random_secrets() -> None:
    assert webhook_secret_problem(Settings(_env_file=None)) is None  # polling needs none
    assert webhook_secret_problem(webhook_settings(WEBHOOK_SECRET)) is None
    for weak in (None, "", "s3cret-token", "a" * 40, "x" * 20 + "!" * 20):
        problem = webhook_secret_problem(webhook_settings(weak))
        assert problem is not None and "WEBHOOK_SECRET" in problem, weak
        assert "secrets.token_urlsafe(32)" in problem


@pytest.mark.parametrize("secret", [None, "s3cret-token"], ids=["missing", "short"])
def test_run_in_webhook_mode_refuses_a_missing_or_short_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    env = project_env(tmp_path) | {"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.org"}
    for key, value in (env | {"WEBHOOK_SECRET": secret or ""}).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2, result.output
    assert "WEBHOOK_SECRET" in result.output
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in result.output
    assert not (tmp_path / "db.sqlite3").exists()  # refused before touching anything


# A command registered for the test only, run through the real entry point `cli.main`.
CRASHING_COMMAND = """
import sys
from datetime import UTC, datetime
from aiogram.types import Chat, Message, User
from bot import cli

TOKEN, ODD_TOKEN = sys.argv[1], sys.argv[2]
sys.argv[1:] = ["boom"]

@cli.app.command("boom")
def boom() -> None:
    message = Message(
        message_id=1, date=datetime(2026, 1, 1, tzinfo=UTC),
        chat=Chat(id=700123456, type="private"),
        from_user=User(id=700123456, is_bot=False, first_name="Xiaoming", username="whistler"),
        text="Officer Li took a bribe",
    )
    url = "https://api.telegram.org/file/bot" + TOKEN + "/photos/1.jpg"
    raise RuntimeError(f"download of {message.message_id} failed: {url} {ODD_TOKEN}")

@cli.app.command("other")
def other() -> None:
    \"\"\"A second command, so that typer keeps `boom` as a subcommand.\"\"\"

cli.main()
"""


async def test_a_crashing_command_prints_no_locals_and_no_token(tmp_path: Path) -> None:
    env = project_env(tmp_path) | {"BOT_TOKEN": ODD_TOKEN}
    code, output = await run_cli_script(tmp_path, env, TOKEN, ODD_TOKEN)
    assert code == 1, output
    assert "Traceback" in output and "RuntimeError: download of 1 failed" in output
    for private in (TOKEN.split(":")[1], ODD_TOKEN, "700123456", "Xiaoming", "whistler", "bribe"):
        assert private not in output


async def run_cli_script(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    argv = (SNAPREPORT[0], "-c", CRASHING_COMMAND, *args)
    return await run_process(*argv, env={**os.environ, **env}, cwd=cwd)
