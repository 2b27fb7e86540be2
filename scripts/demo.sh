#!/usr/bin/env bash
# Quick start 1: a full report -> alert -> reply -> survey cycle on the built-in emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh demo
export PATH="$HOME/.local/bin:$PATH"
exec uv run --frozen snapreport demo "$@"
