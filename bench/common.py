"""What every benchmark shares: the emulator in its own process, budgets and the JSON verdict.

Each benchmark prints one JSON document on stdout with a `budgets` list (a figure, the
baseline measured in the same run, the ratio, the budget and whether it was met) and exits
1 when a budget was missed, so `scripts/bench.sh` can run them all and `bench.report` can
write `bench/RESULTS.md` from what they printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from config.settings import Settings
    from emulator.client import EmulatorClient

Direction = Literal["at_least", "at_most"]


@dataclass(frozen=True)
class Budget:
    """One figure against its budget; `baseline` is measured in the same run when given."""

    name: str
    figure: float
    unit: str
    limit: float
    direction: Direction
    baseline: float | None = None
    baseline_label: str | None = None
    note: str | None = None

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return round(self.figure / self.baseline, 3)

    @property
    def met(self) -> bool:
        # Ratio budgets compare the ratio; absolute ones the figure itself.
        value = self.ratio if self.baseline is not None and self.ratio is not None else self.figure
        if self.direction == "at_least":
            return value >= self.limit
        return value <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met}


def finish(result: dict[str, Any], budgets: list[Budget]) -> None:
    """Print the result with its budgets as JSON; exit 1 if any budget was missed."""
    result["budgets"] = [budget.as_json() for budget in budgets]
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if not all(budget.met for budget in budgets):
        raise SystemExit(1)


def cores() -> int:
    """CPUs this process may run on (the affinity mask, not the whole machine)."""
    return len(os.sched_getaffinity(0))


@contextlib.asynccontextmanager
async def emulator_process(*, rate_limits: bool = False) -> AsyncIterator[tuple[str, str]]:
    """The Bot API emulator in its own process, as Telegram is on its own servers: its HTTP
    work does not share the bot's event loop or its CPU time. Yields its URL and its
    control token, both read from what it prints at start."""
    flags = [] if rate_limits else ["--no-limits"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emulator", "--port", "0", *flags, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        while not {"TELEGRAM_API_URL", "EMULATOR_CONTROL_TOKEN"} <= printed.keys():
            line = (await process.stdout.readline()).decode()
            if not line:
                raise RuntimeError("the emulator did not start")
            name, _, value = line.partition("=")
            printed[name] = value.strip()
        yield printed["TELEGRAM_API_URL"], printed["EMULATOR_CONTROL_TOKEN"]
    finally:
        process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def bot_on_emulator(
    database_url: str | None = None,
) -> AsyncIterator[tuple[EmulatorClient, str, str]]:
    """The bot running on scratch storage (or `database_url`) against an emulator process;
    yields a client of the emulator's control API, its URL and its control token."""
    from bot.app import SnapreportApp
    from emulator.client import EmulatorClient

    with tempfile.TemporaryDirectory() as tmp:
        async with emulator_process() as (url, control):
            overrides = {"database_url": database_url} if database_url else {}
            app = SnapreportApp(bench_settings(url, Path(tmp), **overrides))
            await app.start()
            try:
                async with EmulatorClient(url, token=control) as client:
                    yield client, url, control
            finally:
                await app.stop()


def throwaway_postgres(stack: contextlib.ExitStack, name: str) -> str:
    """The URL of database `name` on a PostgreSQL server of its own, stopped with `stack`."""
    from tests.pgserver import PostgresServer  # dev-only helper

    server = PostgresServer()
    server.start()
    stack.callback(server.stop)
    return server.create_database(name)


@contextlib.contextmanager
def databases(scratch: Path, *, postgres: bool) -> Iterator[list[tuple[str, str]]]:
    """The databases to measure on, as (backend, URL): a scratch SQLite file, the embedded
    default; and, with `postgres`, an empty database on a throwaway PostgreSQL server, the
    production backend (its server stops when the block ends)."""
    found = [("sqlite", f"sqlite+aiosqlite:///{scratch / 'bench.sqlite3'}")]
    with contextlib.ExitStack() as stack:
        if postgres:
            found.append(("postgresql", throwaway_postgres(stack, "bench")))
        yield found


def bench_settings(api_url: str, scratch: Path, **overrides: Any) -> Settings:
    """The bot's settings for a benchmark: a scratch SQLite database and media folder, and
    Telegram's limits lifted (the emulator's are off too), so the figure measures the bot."""
    from config.settings import Settings
    from emulator.config import DEFAULT_TOKEN
    from storage.identity import generate_key

    values: dict[str, Any] = {
        "bot_token": DEFAULT_TOKEN,
        "telegram_api_url": api_url,
        "database_url": f"sqlite+aiosqlite:///{scratch / 'bench.sqlite3'}",
        "identity_key": generate_key(),
        "media_dir": scratch / "media",
        "poll_timeout": 1,
        "rate_global_per_second": 1e6,
        "rate_private_per_second": 1e6,
        "rate_group_per_minute": 1e6,
        "reports_per_hour": 1_000_000,
        "digests_enabled": False,
    }
    return Settings(_env_file=None, **{**values, **overrides})
