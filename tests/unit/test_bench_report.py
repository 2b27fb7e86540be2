"""The budget verdicts the benchmarks print and the page `scripts/bench.sh` writes from them."""

from __future__ import annotations

import json
from pathlib import Path

from bench.common import Budget
from bench.report import render


def test_a_ratio_budget_compares_the_figure_with_its_baseline() -> None:
    fast = Budget("updates", 70, "updates/s", 0.6, "at_least", baseline=100)
    slow = Budget("updates", 50, "updates/s", 0.6, "at_least", baseline=100)

    assert (fast.ratio, fast.met) == (0.7, True)
    assert (slow.ratio, slow.met) == (0.5, False)


def test_an_absolute_budget_compares_the_figure_itself() -> None:
    assert Budget("p95", 0.9, "ms", 1.0, "at_most").met
    assert not Budget("p95", 1.1, "ms", 1.0, "at_most").met
    assert not Budget("429s", 1, "count", 0, "at_most").met


def test_the_results_page_marks_each_budget_and_names_a_benchmark_that_printed_nothing(
    tmp_path: Path,
) -> None:
    met = Budget("photo pipeline", 120, "ms", 1.3, "at_most", baseline=100).as_json()
    missed = Budget("/status p95", 3, "ms", 1.0, "at_most").as_json()
    (tmp_path / "photo_pipeline.json").write_text(json.dumps({"budgets": [met]}))
    (tmp_path / "stats_bench.json").write_text(json.dumps({"budgets": [missed]}))
    (tmp_path / "throughput.json").write_text("")
    (tmp_path / "throughput.rc").write_text("1\n")

    page = render(tmp_path, seconds=60, size="BENCH_TICKETS=1000")

    assert "BENCH_TICKETS=1000" in page
    assert (
        "| `photo_pipeline` | photo pipeline | 120 ms | 100 | 1.2 | ≤ 1.3 × baseline | ✓ |" in page
    )
    assert "| `stats_bench` | /status p95 | 3 ms | — | — | ≤ 1 ms | ✗ |" in page
    assert "`throughput` printed no result (exit status 1)" in page
    assert "[MISSED.md](MISSED.md)" in page


def test_a_page_with_every_budget_met_sends_nobody_to_the_misses(tmp_path: Path) -> None:
    met = Budget("photo pipeline", 120, "ms", 1.3, "at_most", baseline=100).as_json()
    (tmp_path / "photo_pipeline.json").write_text(json.dumps({"budgets": [met]}))

    assert "MISSED.md" not in render(tmp_path, seconds=60, size="default sizes")
