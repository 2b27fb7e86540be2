"""Write `bench/RESULTS.md` from the JSON the benchmarks printed in one `scripts/bench.sh` run.

    uv run python -m bench.report OUT_DIR --seconds 812 --size "BENCH_TICKETS=1000000"

OUT_DIR holds `<benchmark>.json` (its stdout) and `<benchmark>.rc` (its exit status) for
each benchmark run. The page says where it ran (CPU, cores, RAM, Python, SQLite and
PostgreSQL versions), then one row per budget: the figure, the baseline measured in the
same run, the ratio and the budget with ✓ or ✗.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("RESULTS.md")
WHY = Path(__file__).with_name("MISSED.md")


def machine() -> dict[str, str]:
    """The facts a figure depends on, read from this machine."""
    return {
        "CPU": _cpu_model(),
        "cores": f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        "RAM": _ram(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres_version(),
        "OS": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres_version() -> str:
    from tests.pgserver import PostgresUnavailable, _bin_dir  # dev-only helper

    try:
        postgres = _bin_dir() / "postgres"
    except PostgresUnavailable:
        return shutil.which("postgres") or "not installed"
    done = subprocess.run([str(postgres), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def budget_row(bench: str, budget: dict[str, Any]) -> str:
    sign = "≥" if budget["direction"] == "at_least" else "≤"
    ratio_budget = budget["baseline"] is not None
    limit = f"{sign} {_number(budget['limit'])}" + (" × baseline" if ratio_budget else "")
    if not ratio_budget:
        limit += f" {budget['unit']}"
    baseline = "—"
    if ratio_budget:
        label = f" ({budget['baseline_label']})" if budget.get("baseline_label") else ""
        baseline = f"{_number(budget['baseline'])}{label}"
    mark = "✓" if budget["met"] else "✗"
    note = f" — {budget['note']}" if budget.get("note") else ""
    return (
        f"| `{bench}` | {budget['name']}{note} | {_number(budget['figure'])} {budget['unit']} "
        f"| {baseline} | {_number(budget['ratio'])} | {limit} | {mark} |"
    )


def render(out: Path, *, seconds: float | None, size: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `bash scripts/bench.sh` (see the README's Benchmarks section); every",
        "baseline is measured in the same run as its figure, on the same machine.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        f"- Size: {size}",
    ]
    if seconds is not None:
        lines.append(f"- Whole run: {seconds / 60:.1f} min")
    lines += [f"- {name}: {value}" for name, value in machine().items()]
    lines += [
        "",
        "| benchmark | figure | measured | baseline (same run) | ratio | budget | |",
        "|---|---|---|---|---|---|---|",
    ]
    failures: list[str] = []
    missed = False
    for path in sorted(out.glob("*.json")):
        bench = path.stem
        rc_path = path.with_suffix(".rc")
        rc = rc_path.read_text().strip() if rc_path.exists() else "?"
        try:
            result = json.loads(path.read_text())
        except ValueError:
            failures.append(f"- `{bench}` printed no result (exit status {rc}); see its log")
            continue
        for budget in result.get("budgets", []):
            lines.append(budget_row(bench, budget))
            missed = missed or not budget.get("met", False)
        for note in result.get("notes", []):
            failures.append(f"- `{bench}`: {note}")
    if failures:
        lines += ["", "Notes:", "", *failures]
    if missed:
        lines += [
            "",
            "Why each ✗ is missed, as measured, and what would close it: "
            f"[{WHY.name}]({WHY.name}).",
        ]
    lines += ["", "The raw JSON of each benchmark is in the run's output folder.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--size", default="default sizes")
    parser.add_argument("--to", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.to.write_text(render(args.out, seconds=args.seconds, size=args.size), encoding="utf-8")


if __name__ == "__main__":
    main()
