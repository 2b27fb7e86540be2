"""`snapreport run` fails fast, and says why, without a token or with a wrong one."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from emulator.server import EmulatorServer

SNAPREPORT = [sys.executable, "-m", "bot.cli"]


async def run_process(*argv: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run `argv` in `cwd` with exactly `env`; its exit code and output (stderr folded in)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "TELEGRAM_API_URL"}}
    return await run_process(*SNAPREPORT, *args, env={**clean, **env}, cwd=cwd)


def project_env(tmp_path: Path) -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    return {
        "PYTHONPATH": str(root),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_DIR": str(tmp_path / "media"),
    }


async def test_run_without_token_names_the_key_and_env_file(tmp_path: Path) -> None:
    code, output = await run_cli("run", env=project_env(tmp_path), cwd=tmp_path)
    assert code == 2
    assert "BOT_TOKEN" in output and ".env" in output


async def test_run_with_wrong_token_explains_the_401(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    env = project_env(tmp_path) | {"BOT_TOKEN": "42:wrong", "TELEGRAM_API_URL": emulator.url}
    code, output = await run_cli("run", env=env, cwd=tmp_path)
    assert code == 2
    assert "401" in output and "BOT_TOKEN" in output


async def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("run", "doctor", "emulator", "demo", "db", "qr", "routes", "keys"):
        code, output = await run_cli(command, "--help", env=project_env(tmp_path), cwd=tmp_path)
        assert code == 0, output
        assert "Usage" in output
