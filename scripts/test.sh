#!/usr/bin/env bash
# Quick start 2: lint, format check, type check, and the whole test suite
# (SQLite and a real PostgreSQL and Redis that the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
export PATH="$HOME/.local/bin:$PATH"
echo "==> ruff check";        uv run --frozen ruff check .
echo "==> ruff format";       uv run --frozen ruff format --check .
echo "==> mypy";              uv run --frozen mypy .
echo "==> lint-imports";      uv run --frozen lint-imports
# The suite waits far more than it computes (about a third of two cores when run serially),
# so two worker processes halve its time; a file's tests stay together on one worker, and
# the crash tests together on one (tests/conftest.py says why).
# TEST_WORKERS=0 runs it in this process (e.g. with -s to see a test's prints).
echo "==> pytest";            exec uv run --frozen pytest -n "${TEST_WORKERS:-2}" --dist loadgroup "$@"
