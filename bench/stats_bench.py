"""How long a quarter's `/stats` figures and a `/status <code>` lookup take on a big database.

Generates N tickets with their events in a scratch database (SQLite in a temporary
folder; PostgreSQL too when `--postgres-url` names an empty database, or `--postgres-temp`
starts a throwaway server), bulk-inserted through SQLAlchemy core `executemany`, then
prints JSON: for the latest full quarter, the time of `storage.stats.load_stats` (all
departments, as `/stats` for administrators; one department, as for a supervisor) and of
the ranking, wall and CPU (all threads: the SQLite driver works in its own), best of
`--repeat` runs and the first, cold one; then the p50/p95/p99 of `/status` lookups by code
as the bot reads them (`ws.cases.ticket_status`, in a session that has begun, as the
update's is), beside the same read with a session of its own and the floor of an id by
code; the median of `/queue` pages (`ws.cases.open_queue`) of one more department
holding `--queue-tickets` open tickets, filed before the others so that no period's
figures count them, and of an administrator's queue; and each `/stats` query's plan. Budgets
(issue 16): p95 at most 1 ms for `/status`, 20 ms for a `/queue` page, 0.1 s for the
quarter.

    uv run python -m bench.stats_bench --tickets 20000
    uv run python -m bench.stats_bench --tickets 1000000 --postgres-temp

`--extra-indexes` then adds, in the scratch database only, the index that `EXTRA_INDEXES`
recommends for the models and measures again, to show what it would buy before anyone
migrates it. `--reuse --sqlite-path FILE` measures a file an earlier run filled.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlmodel import col

from bench.common import Budget, finish, throwaway_postgres
from storage.db import create_engine, create_session_factory, is_sqlite
from storage.identity import IdentityKeys
from storage.migrate import upgrade
from storage.models import Ticket
from storage.reads import SqlCaseReads
from storage.stats import (
    DEPARTMENT,
    EVENT,
    REPORTER,
    TICKET,
    Scope,
    load_ranking,
    load_stats,
)
from tickets.codes import new_code
from tickets.measures import Period

QUEUE_PAGE = 5  # handlers.supervisor.PAGE_SIZE
END = datetime(2025, 12, 31, 16, tzinfo=UTC)  # 2026-01-01 00:00 in Shanghai
QUEUE_DEPARTMENT = "队列部门"  # the department `/queue` is measured on
QUEUE_STATES = ("new", "accepted", "in_progress", "reopened")
CODE_MULTIPLIER = 0x9E3779B97F  # odd, so i → i·M mod 2⁴⁰ is a bijection: unique codes
CHUNK = 20_000
# A fixed key for the scratch data, so that `--reuse` can read the identities it wrote.
BENCH_KEY = base64.b64encode(b"snapreport-bench-scratch-key-32b").decode()
CATEGORIES = ("absent", "idle", "rude", "extortion", "car", "banquet", "gifts", "buck", "other")
# What this module's report recommends adding to the models; created here only with
# `--extra-indexes`, and measured before and after.
EXTRA_INDEXES = {
    "ix_ticket_event_flags": "CREATE INDEX IF NOT EXISTS ix_ticket_event_flags "
    "ON ticket_event (ticket_id) WHERE kind IN ('reopened', 'yellow_card', 'red_card')",
}


def _code(number: int) -> str:
    return new_code(randbits=lambda bits: (number * CODE_MULTIPLIER) % (1 << bits))


class Generator:
    """Deterministic synthetic tickets and events, spread evenly over `years`."""

    def __init__(self, tickets: int, departments: int, years: float, seed: int) -> None:
        self.tickets = tickets
        self.departments = departments
        self.reporters = max(1, tickets // 5)
        self.start = END - timedelta(days=365 * years)
        self.span = (END - self.start).total_seconds()
        self.rng = random.Random(seed)
        self.places = [f"第{n}号窗口" for n in range(300)]
        self.weights = [1 / (n + 1) for n in range(departments)]

    def department_rows(self) -> list[dict[str, Any]]:
        return [
            {"id": n + 1, "name": f"部门{n + 1:03d}", "is_intake": n == 0, "archived": False,
             "created_at": self.start}
            for n in range(self.departments)
        ]  # fmt: skip

    def reporter_rows(self) -> Iterator[list[dict[str, Any]]]:
        for first in range(0, self.reporters, CHUNK):
            yield [{"id": n + 1, "channel": "telegram", "channel_user_id": 10_000_000 + n,
                    "user_hash": f"bench-{n}", "reachable": True, "created_at": self.start}
                   for n in range(first, min(first + CHUNK, self.reporters))]  # fmt: skip

    def queue_rows(self, open_tickets: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One more department with `open_tickets` open tickets (new, accepted, in progress,
        reopened; some carded), numbered after the others, for `/queue`. Filed in the 90
        days before the others, so that no period's statistics count them."""
        department_id = self.departments + 1
        department = {"id": department_id, "name": QUEUE_DEPARTMENT, "is_intake": False,
                      "archived": False, "created_at": self.start}  # fmt: skip
        rng, rows = random.Random(self.tickets), []
        for number in range(open_tickets):
            ticket_id = self.tickets + number + 1
            created = self.start - timedelta(days=rng.uniform(0, 90))
            row, _ = self._ticket(ticket_id)
            row.update(
                department_id=department_id, state=rng.choice(QUEUE_STATES),
                card=rng.choices(("none", "yellow", "red"), (85, 12, 3))[0],
                created_at=created, updated_at=created, resolved_at=None, closed_at=None,
                accept_by=created + timedelta(days=1), resolve_by=created + timedelta(days=7),
                satisfaction=None, public_reply=None,
            )  # fmt: skip
            rows.append(row)
        return department, rows

    def ticket_chunks(self) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        for first in range(0, self.tickets, CHUNK):
            tickets: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            for number in range(first, min(first + CHUNK, self.tickets)):
                ticket, ticket_events = self._ticket(number + 1)
                tickets.append(ticket)
                events.extend(ticket_events)
            yield tickets, events

    def _ticket(self, ticket_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        created = self.start + timedelta(seconds=self.span * (ticket_id - 0.5) / self.tickets)
        row: dict[str, Any] = {
            "id": ticket_id, "code": _code(ticket_id), "submit_key": f"bench-{ticket_id}",
            "category": rng.choice(CATEGORIES), "description": "基准测试工单",
            "place_text": rng.choice(self.places), "source_tag": None,
            "department_id": rng.choices(range(1, self.departments + 1), self.weights)[0],
            "reporter_id": rng.randrange(1, self.reporters + 1), "anonymous": rng.random() < 0.8,
            "state": "new", "card": "none", "satisfaction": None, "satisfaction_default": False,
            "created_at": created, "updated_at": created, "accepted_at": None,
            "resolved_at": None, "closed_at": None, "public_reply": None,
            "accept_by": created + timedelta(days=1), "resolve_by": created + timedelta(days=7),
        }  # fmt: skip
        events = [_event(ticket_id, created, "reporter", "submitted", None, "new")]
        self._live(row, events)
        return row, events

    def _live(self, row: dict[str, Any], events: list[dict[str, Any]]) -> None:
        rng, ticket_id = self.rng, row["id"]
        draw = rng.random()
        if draw < 0.08:
            state = "rejected" if draw < 0.05 else "duplicate"
            row.update(state=state, updated_at=row["created_at"] + timedelta(hours=2))
            events.append(_event(ticket_id, row["updated_at"], "member", state, "new", state))
            return
        accepted = row["created_at"] + timedelta(hours=rng.expovariate(1 / 12))
        if accepted > END:
            return
        row.update(state="in_progress", accepted_at=accepted, updated_at=accepted)
        events.append(_event(ticket_id, accepted, "member", "accepted", "new", "accepted"))
        self._cards(row, events)
        resolved = accepted + timedelta(hours=rng.expovariate(1 / 60))
        if resolved > END:
            return
        row.update(state="resolved", resolved_at=resolved, updated_at=resolved,
                   public_reply="已办结，感谢监督。")  # fmt: skip
        events.append(_event(ticket_id, resolved, "member", "resolved", "in_progress", "resolved"))
        self._survey(row, events, resolved)

    def _cards(self, row: dict[str, Any], events: list[dict[str, Any]]) -> None:
        draw = self.rng.random()
        if draw < 0.12:
            row["card"] = "yellow"
            events.append(_event(row["id"], row["resolve_by"], "system", "yellow_card"))
        if draw < 0.03:
            row["card"] = "red"
            events.append(_event(row["id"], row["resolve_by"], "system", "red_card"))

    def _survey(self, row: dict[str, Any], events: list[dict[str, Any]], at: datetime) -> None:
        draw = self.rng.random()
        answered = at + timedelta(days=1)
        if draw < 0.07:
            row.update(state="reopened", satisfaction="unsatisfied", updated_at=answered)
            events.append(
                _event(row["id"], answered, "reporter", "reopened", "resolved", "reopened")
            )
            return
        rating = "satisfied" if draw < 0.65 else "fair" if draw < 0.85 else "satisfied"
        row.update(state="closed", closed_at=answered, updated_at=answered,
                   satisfaction=rating, satisfaction_default=draw >= 0.85)  # fmt: skip
        events.append(_event(row["id"], answered, "reporter", "closed", "resolved", "closed"))


def _event(
    ticket_id: int,
    at: datetime,
    actor: str,
    kind: str,
    from_state: str | None = None,
    to_state: str | None = None,
) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "at": at, "actor_kind": actor, "actor_id": None,
            "kind": kind, "from_state": from_state, "to_state": to_state, "text": None,
            "payload": {}}  # fmt: skip


async def _insert_all(engine: AsyncEngine, generator: Generator) -> int:
    """Insert everything in chunks, one transaction per chunk; return the event count."""
    async with engine.begin() as connection:
        await connection.execute(DEPARTMENT.insert(), generator.department_rows())
        for chunk in generator.reporter_rows():
            await connection.execute(REPORTER.insert(), chunk)
    events = 0
    for tickets, chunk_events in generator.ticket_chunks():
        async with engine.begin() as connection:
            await connection.execute(TICKET.insert(), tickets)
            await connection.execute(EVENT.insert(), chunk_events)
        events += len(chunk_events)
    return events


async def _add_extra_indexes(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for statement in EXTRA_INDEXES.values():
            await connection.execute(text(statement))
        await connection.execute(text("ANALYZE"))


async def _prepare(connection: AsyncConnection) -> None:
    await connection.execute(text("ANALYZE"))
    if connection.dialect.name == "postgresql":
        for table in ("department", "reporter", "ticket"):
            await connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )


async def _timed(repeat: int, run: Callable[[], Awaitable[object]]) -> dict[str, float]:
    """Wall and CPU seconds (CPU counts every thread: the SQLite driver runs in one)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        await run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"first_s": round(walls[0], 4), "best_s": round(min(walls), 4),
            "best_cpu_s": round(min(cpus), 4)}  # fmt: skip


def _latest_full_quarter() -> tuple[str, Period]:
    last_day = (END - timedelta(seconds=1)).date()
    year, number = last_day.year, (last_day.month - 1) // 3 + 1
    return f"{year}Q{number}", Period.quarter(year, number)


async def _bench_stats(engine: AsyncEngine, repeat: int) -> dict[str, Any]:
    factory = create_session_factory(engine)
    label, quarter = _latest_full_quarter()

    async def stats(department_id: int | None = None) -> object:
        return await load_stats(factory, quarter, as_of=END, department_id=department_id)

    async def ranking() -> object:
        return await load_ranking(factory, quarter, as_of=END)

    async with factory() as session:
        received = await session.scalar(
            select(func.count()).select_from(TICKET).where(*Scope(quarter).where())
        )
    return {
        "quarter": label,
        "quarter_tickets": received,
        "stats_all_departments": await _timed(repeat, stats),
        "stats_one_department": await _timed(repeat, lambda: stats(1)),
        "ranking": await _timed(repeat, ranking),
    }


Lookup = Callable[[AsyncSession, str], Awaitable[object]]


async def _bench_lookups(engine: AsyncEngine, tickets: int, lookups: int) -> dict[str, Any]:
    """`/status`-style lookups by code, one session each.

    The bot reads `ws.cases.ticket_status` inside the update's unit of work, whose
    connection is already checked out and whose transaction has already begun (the inbox
    receipt was written first), so the budgeted figure times the read alone, on a session
    that has begun. Beside it: the same read with the session's own checkout, BEGIN and
    ROLLBACK (a cost every update pays once, whatever it does), and the floor, an id by code.
    """
    factory = create_session_factory(engine)
    rng = random.Random(1)
    codes = [_code(rng.randrange(1, tickets + 1)) for _ in range(lookups)]

    async def bot_path(session: AsyncSession, code: str) -> object:
        return await SqlCaseReads(session).ticket_status(code=code)

    async def floor(session: AsyncSession, code: str) -> object:
        return await session.scalar(select(col(Ticket.id)).where(col(Ticket.code) == code))

    async def timed(lookup: Lookup, *, begun: bool) -> dict[str, float]:
        times = []
        for code in codes:
            async with factory() as session:
                if begun:
                    await session.connection()
                began = time.perf_counter()
                found = await lookup(session, code)
                if not begun:
                    await session.close()
                times.append((time.perf_counter() - began) * 1000)
            assert found is not None
        return _quantiles(times)

    return {
        "lookups": lookups,
        **await timed(bot_path, begun=True),
        "with_own_session": await timed(bot_path, begun=False),
        "floor": await timed(floor, begun=True),
    }


def _quantiles(times_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times_ms, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 3), "p95_ms": round(cuts[94], 3),
            "p99_ms": round(cuts[98], 3)}  # fmt: skip


async def _vacuumed(engine: AsyncEngine) -> None:
    """On PostgreSQL, VACUUM what the bulk load wrote, as autovacuum soon would in a live
    database: until then no page is marked all-visible, and an index-only scan (`/queue`
    chooses its page from `ix_ticket_open_queue` alone) visits the table for every row."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))


async def _add_queue_department(engine: AsyncEngine, args: argparse.Namespace) -> int:
    """Add the department with `--queue-tickets` open tickets (once); return its id."""
    async with engine.connect() as connection:
        found = await connection.scalar(
            select(DEPARTMENT.c.id).where(DEPARTMENT.c.name == QUEUE_DEPARTMENT)
        )
    if found is not None:
        return int(found)
    generator = Generator(args.tickets, args.departments, args.years, args.seed)
    department, rows = generator.queue_rows(args.queue_tickets)
    async with engine.begin() as connection:
        await connection.execute(DEPARTMENT.insert(), [department])
        for first in range(0, len(rows), CHUNK):
            await connection.execute(TICKET.insert(), rows[first : first + CHUNK])
        await _prepare(connection)
    return int(department["id"])


async def _bench_queue(engine: AsyncEngine, department_id: int, repeat: int) -> dict[str, Any]:
    """`/queue` pages as the bot reads them (`ws.cases.open_queue`), one session each: a
    supervisor's department (first and last page) and an administrator's (every one)."""
    factory = create_session_factory(engine)

    async def page(department_ids: set[int] | None, number: int) -> tuple[int, int]:
        async with factory() as session:
            tickets, total = await SqlCaseReads(session).open_queue(
                department_ids=department_ids, offset=number * QUEUE_PAGE, limit=QUEUE_PAGE
            )
        return len(tickets), total

    _, total = await page({department_id}, 0)
    last = (total - 1) // QUEUE_PAGE
    _, everyone = await page(None, 0)
    measured: dict[str, Any] = {"department_open": total, "all_open": everyone}
    for name, ids, number in (
        ("department_first_page", {department_id}, 0),
        ("department_last_page", {department_id}, last),
        ("all_departments_first_page", None, 0),
    ):
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            shown, _ = await page(ids, number)
            times.append((time.perf_counter() - began) * 1000)
            assert shown > 0
        measured[name] = {"median_ms": round(statistics.median(times), 3),
                          "max_ms": round(max(times), 3)}  # fmt: skip
    return measured


async def _plans(engine: AsyncEngine) -> dict[str, list[str]]:
    """Return the plan of each query behind `/stats`, to show which indexes they use."""
    explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM ticket" in statement:
            captured.append((statement, parameters))

    _, quarter = _latest_full_quarter()
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await load_stats(create_session_factory(engine), quarter, as_of=END)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    plans = {}
    async with engine.connect() as connection:
        for number, (statement, parameters) in enumerate(captured):
            rows = await connection.exec_driver_sql(f"{explain} {statement}", parameters)
            plans[f"query_{number + 1}"] = [str(row[-1]) for row in rows]
    return plans


async def _fill(engine: AsyncEngine, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Generate the data set, or reuse the one a previous `--reuse` run left."""
    async with engine.connect() as connection:
        existing = await connection.scalar(select(func.count()).select_from(TICKET)) or 0
        events = await connection.scalar(select(func.count()).select_from(EVENT)) or 0
    if existing and not args.reuse:
        raise SystemExit(f"refusing to fill a database that already holds tickets: {url}")
    if existing:
        args.tickets = existing
        return {"tickets": existing, "events": events, "generate_s": None}
    generator = Generator(args.tickets, args.departments, args.years, args.seed)
    began = time.perf_counter()
    events = await _insert_all(engine, generator)
    generated = time.perf_counter() - began
    async with engine.begin() as connection:
        await _prepare(connection)
    return {"tickets": args.tickets, "events": events, "generate_s": round(generated, 2)}


async def _measure(engine: AsyncEngine, args: argparse.Namespace) -> dict[str, Any]:
    department_id = await _add_queue_department(engine, args)
    await _vacuumed(engine)
    return {
        **await _bench_stats(engine, args.repeat),
        "status_lookup": await _bench_lookups(engine, args.tickets, args.lookups),
        "queue": await _bench_queue(engine, department_id, args.queue_repeat),
        "plans": await _plans(engine),
    }


async def run_backend(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, fill, and measure one database (again with the extra indexes if asked)."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url, keys=IdentityKeys.from_text(BENCH_KEY))
    try:
        result = {
            "backend": "sqlite" if is_sqlite(url) else engine.dialect.name,
            **await _fill(engine, url, args),
            "schema_indexes": await _measure(engine, args),
        }
        if args.extra_indexes:
            await _add_extra_indexes(engine)
            result["with_extra_indexes"] = {
                "added": sorted(EXTRA_INDEXES),
                **await _measure(engine, args),
            }
        return result
    finally:
        await engine.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--departments", type=int, default=30)
    parser.add_argument("--years", type=float, default=2.0, help="spread of filing dates")
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--queue-tickets", type=int, default=10_000)
    parser.add_argument("--queue-repeat", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sqlite-path", type=Path, help="default: a temporary file")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--postgres-url", help="an EMPTY scratch database (postgresql+asyncpg)")
    parser.add_argument(
        "--postgres-temp",
        action="store_true",
        help="start a throwaway server (tests/pgserver.py, runs as `postgres`)",
    )
    parser.add_argument("--extra-indexes", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database an earlier run filled"
    )
    return parser.parse_args()


async def _main(args: argparse.Namespace, stack: ExitStack) -> list[dict[str, Any]]:
    urls = []
    if not args.no_sqlite:
        path = (
            args.sqlite_path or Path(stack.enter_context(tempfile.TemporaryDirectory())) / "b.db"
        )
        urls.append(f"sqlite+aiosqlite:///{path}")
    if args.postgres_temp:
        urls.append(throwaway_postgres(stack, "stats_bench"))
    if args.postgres_url:
        urls.append(args.postgres_url)
    return [await run_backend(url, args) for url in urls]


def budgets(results: list[dict[str, Any]]) -> list[Budget]:
    """/status p95 at most 1 ms, a /queue page at most 20 ms and a quarter's /stats at most
    0.1 s, per backend."""
    found: list[Budget] = []
    for result in results:
        size = f"{result['backend']}, {result['tickets']:,} tickets / {result['events']:,} events"
        measured = result["schema_indexes"]
        lookup, queue = measured["status_lookup"], measured["queue"]
        found.append(
            Budget(
                f"/status lookup p95 ({size})",
                lookup["p95_ms"],
                "ms",
                1.0,
                "at_most",
                note="the read in the update's begun session; with a session of its own "
                f"(checkout, BEGIN, ROLLBACK) p95 {lookup['with_own_session']['p95_ms']} ms; "
                f"floor, an indexed id by code: p95 {lookup['floor']['p95_ms']} ms",
            )
        )
        slower = max(
            queue["department_first_page"]["median_ms"], queue["department_last_page"]["median_ms"]
        )
        found.append(
            Budget(
                f"/queue page of a department with {queue['department_open']:,} open tickets "
                f"({size})",
                slower,
                "ms",
                20.0,
                "at_most",
                note="median, the slower of its first and last page",
            )
        )
        found.append(
            Budget(
                f"quarter's /stats, all departments ({size})",
                measured["stats_all_departments"]["best_s"],
                "s",
                0.1,
                "at_most",
                note="computed from the raw events: no roll-ups yet",
            )
        )
    return found  # fmt: skip


def main() -> None:
    args = _arguments()
    with ExitStack() as stack:
        results = asyncio.run(_main(args, stack))
    finish({"benchmark": "/stats and /status at size", "results": results}, budgets(results))


if __name__ == "__main__":
    main()
