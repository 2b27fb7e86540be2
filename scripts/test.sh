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
echo "==> pytest";            exec uv run --frozen pytest "$@"
