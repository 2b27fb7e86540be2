"""How much a report draft costs: bytes per stored draft, and the bot's memory with many.

Builds the bot as production does (`bot.app.SnapreportApp`, not started: no Bot API is
needed) on a scratch database, then stores `--drafts` report drafts through its own FSM
storage (`storage.fsm.DatabaseStorage`, the Dispatcher's) as the draft flow leaves them at
the preview: the fields `handlers.reporter` writes — three stored photos as
`handlers.photos.draft_photo` keeps them (sent as files, so with capture time and
position: the largest case), a category, a description of about 200 characters, the unit
chosen from the directory (which the draft no longer copies), a typed place — in units of
work of `--batch` drafts, as the update middleware commits them. Then it loads every
draft at once through `DatabaseStorage.keys_with`, the path a restart resumes album panels
by, and prints JSON: the database's bytes per draft (its growth ÷ rows, and the stored
row's own bytes), the Python objects per draft loaded (tracemalloc), and the process's
RSS before the drafts, with them stored, and with them all loaded (each backend in a
process of its own, so that its RSS is its own).

    uv run python -m bench.memory_bench --drafts 10000
    uv run python -m bench.memory_bench --drafts 10000 --postgres-temp
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import string
import sys
import tempfile
import tracemalloc
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, text

from bench.common import Budget, bench_settings, finish, throwaway_postgres
from config.logs import configure_logging
from storage.db import is_sqlite
from storage.fsm import DatabaseStorage
from storage.migrate import upgrade
from storage.models import FsmRecord
from storage.unit_of_work import unit_of_work
from tickets.views import PhotoRef

DRAFT_STATE = "ReportDraft:confirming"
BOT_ID = 123456
FIRST_USER = 700_000_000
PLACES = ("人民路12号政务服务中心三楼", "建设街道办事处", "城东派出所户籍窗口", "市场监管局二楼")
UNIT_WORDS = ("市场监督管理局", "住房和城乡建设局", "交通运输局", "城市管理局", "卫生健康委员会")


def _rss_mb() -> float:
    """The process's resident set now, from /proc (ru_maxrss is only the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def units(departments: int) -> list[list[Any]]:
    """The directory's units ([id, name]), one of which the draft names."""
    return [[n + 1, f"{UNIT_WORDS[n % len(UNIT_WORDS)]}第{n + 1}分局"] for n in range(departments)]


def draft_data(rng: random.Random, directory: list[list[Any]]) -> dict[str, Any]:
    """A draft at the preview, built from the same updates the flow applies in order."""
    from handlers.photos import draft_photo

    def photo() -> dict[str, object]:
        ref = PhotoRef(
            sha256=rng.randbytes(32).hex(),
            phash=rng.randbytes(8).hex(),
            size_bytes=rng.randrange(150_000, 900_000),
            width=1280,
            height=960,
            telegram_file_id="AgACAgIAAxkBAAI" + "".join(rng.choices(string.ascii_letters, k=60)),
            captured_at=datetime(2026, 5, 1, 9, rng.randrange(60), tzinfo=UTC),
            gps_lat=30.0 + rng.random(),
            gps_lon=120.0 + rng.random(),
            original_sha256=rng.randbytes(32).hex(),
        )
        return draft_photo(ref)

    chosen = rng.choice(directory)
    data: dict[str, Any] = {"draft_id": rng.randbytes(6).hex(), "photos": []}  # begin_draft
    for step in (
        {"photos": [photo() for _ in range(3)], "panel_id": rng.randrange(10**6)},
        {"description": "".join(rng.choices("窗口工作人员上班时间玩手机不理群众办事", k=200))},
        {"category": "idle"},  # open_unit_step stores nothing: the panel reads the directory
        {"accused_id": chosen[0], "accused_name": chosen[1], "unit_filter": None},
        {"place_text": rng.choice(PLACES)},
        {"anonymous": True, "real_name": None, "phone": None},  # nav_anonymous
        {"keyboard_id": rng.randrange(10**6)},
    ):
        data.update(step)
    return data


def _field_bytes(data: dict[str, Any]) -> dict[str, int]:
    """Each field's share of a draft's JSON (UTF-8, as the FSM storage encodes it before
    compressing and encrypting), largest first, and the whole."""

    def size(value: Any) -> int:
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())

    shares = sorted(((name, size({name: value}) - 2) for name, value in data.items()),
                    key=lambda item: -item[1])  # fmt: skip
    return {"whole": size(data), **dict(shares)}


def _key(number: int) -> StorageKey:
    user = FIRST_USER + number
    return StorageKey(bot_id=BOT_ID, chat_id=user, user_id=user)


async def _store(storage: DatabaseStorage, app: Any, args: argparse.Namespace) -> None:
    """Store the drafts in units of work of `--batch`, as updates commit them."""
    from handlers.reporter import ReportDraft

    rng = random.Random(args.seed)
    directory = units(args.departments)
    for first in range(0, args.drafts, args.batch):
        async with unit_of_work(app.session_factory):
            for number in range(first, min(first + args.batch, args.drafts)):
                key = _key(number)
                await storage.set_state(key, ReportDraft.confirming)
                await storage.set_data(key, draft_data(rng, directory))


async def _database_bytes(app: Any, url: str, path: Path | None) -> dict[str, Any]:
    async with app.session_factory() as session:
        rows = await session.scalar(select(func.count()).select_from(FsmRecord)) or 0
        raw = func.length(FsmRecord.key) + func.length(FsmRecord.storage_key)
        raw += func.length(FsmRecord.data) + func.coalesce(func.length(FsmRecord.state), 0)
        row_bytes = await session.scalar(select(func.avg(raw)))
        if is_sqlite(url):
            await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            table = None
        else:
            table = await session.scalar(text("SELECT pg_total_relation_size('fsm_record')"))
    size = await asyncio.to_thread(os.path.getsize, path) if path else None
    return {"rows": rows, "row_bytes": round(float(row_bytes or 0)), "table_bytes": table,
            "file_bytes": size}  # fmt: skip


async def run_backend(url: str, scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bot.app import SnapreportApp

    await asyncio.to_thread(upgrade, url, keys=None)
    app = SnapreportApp(bench_settings("http://127.0.0.1:9", scratch, database_url=url))
    storage = app.dp.storage
    assert isinstance(storage, DatabaseStorage)
    path = Path(url.split("///", 1)[1]) if is_sqlite(url) else None
    try:
        empty = await _database_bytes(app, url, path)
        gc.collect()
        rss_before = _rss_mb()
        await _store(storage, app, args)
        stored = await _database_bytes(app, url, path)
        gc.collect()
        rss_stored = _rss_mb()
        loaded = await storage.keys_with(state=DRAFT_STATE, field="draft_id")
        rss_loaded = _rss_mb()
        assert len(loaded) == args.drafts, len(loaded)
        fields = _field_bytes(loaded[0][1])
        del loaded
        gc.collect()
        # Measured again apart: tracemalloc's own bookkeeping would swell the RSS above.
        tracemalloc.start()
        loaded = await storage.keys_with(state=DRAFT_STATE, field="draft_id")
        python_bytes, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del loaded
    finally:
        await storage.close()
        await app.bot.session.close()
        await app.engine.dispose()
    if path is not None:
        grown = stored["file_bytes"] - empty["file_bytes"]
    else:
        grown = stored["table_bytes"] - empty["table_bytes"]
    return {
        "backend": "sqlite" if path else "postgresql",
        "drafts": stored["rows"],
        "database_bytes_per_draft": round(grown / max(1, stored["rows"])),
        "row_bytes_per_draft": stored["row_bytes"],
        "python_bytes_per_draft_loaded": round(python_bytes / args.drafts),
        "draft_json_bytes_by_field": fields,
        "rss_mb_app_built": rss_before,
        "rss_mb_drafts_stored": rss_stored,
        "rss_mb_drafts_loaded": rss_loaded,
        "peak_rss_mb": _peak_rss_mb(),
    }


async def _main(args: argparse.Namespace, stack: ExitStack) -> list[dict[str, Any]]:
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    urls = []
    if not args.no_sqlite:
        urls.append(f"sqlite+aiosqlite:///{scratch / 'drafts.sqlite3'}")
    if args.postgres_temp:
        urls.append(throwaway_postgres(stack, "memory_bench"))
    return [await _in_own_process(url, scratch, args) for url in urls]


async def _in_own_process(url: str, scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one backend in a fresh process, so that its RSS is its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.memory_bench", "--url", url, "--scratch", str(scratch),
        "--drafts", str(args.drafts), "--departments", str(args.departments),
        "--batch", str(args.batch), "--seed", str(args.seed),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"measuring {url.split(':', 1)[0]} failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


def budgets(results: list[dict[str, Any]], drafts: int) -> list[Budget]:
    """At most 2 KB a stored draft, and RSS at most 200 MB with every draft loaded."""
    found = []
    for result in results:
        backend = result["backend"]
        found.append(
            Budget(f"database bytes per stored draft ({backend}, {drafts:,} drafts)",
                   result["database_bytes_per_draft"], "B", 2048, "at_most",
                   note=f"the row itself {result['row_bytes_per_draft']:,} B; "
                   f"{result['python_bytes_per_draft_loaded']:,} B a draft loaded in Python")
        )  # fmt: skip
        found.append(
            Budget(f"process RSS with {drafts:,} drafts loaded at once ({backend})",
                   result["rss_mb_drafts_loaded"], "MB", 200, "at_most",
                   note=f"{result['rss_mb_app_built']} MB with the bot built, before any draft")
        )  # fmt: skip
    return found


def notes(results: list[dict[str, Any]]) -> list[str]:
    """Where a draft's bytes go, for bench/RESULTS.md."""
    found = []
    for result in results:
        fields = result["draft_json_bytes_by_field"]
        largest = ", ".join(f"{name} {size:,} B" for name, size in list(fields.items())[1:4])
        found.append(
            f"{result['backend']}: a draft's JSON is {fields['whole']:,} B ({largest}); "
            f"compressed and encrypted it is {result['row_bytes_per_draft']:,} B a row. "
            f"RSS {result['rss_mb_app_built']} MB with the bot built and no draft, "
            f"{result['rss_mb_drafts_loaded']} MB with every draft loaded"
        )
    return found


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=30, help="units in the directory")
    parser.add_argument("--batch", type=int, default=200, help="drafts per unit of work")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--postgres-temp",
        action="store_true",
        help="start a throwaway server (tests/pgserver.py, runs as `postgres`)",
    )
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    configure_logging("WARNING")
    if args.url:  # one backend, in the process `_in_own_process` started
        result = asyncio.run(run_backend(args.url, args.scratch, args))
        sys.stdout.write(json.dumps(result) + "\n")
        return
    with ExitStack() as stack:
        results = asyncio.run(_main(args, stack))
    finish(
        {"benchmark": "memory per draft", "results": results, "notes": notes(results)},
        budgets(results, args.drafts),
    )


if __name__ == "__main__":
    main()
