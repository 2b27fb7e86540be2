#!/usr/bin/env bash
# Run every benchmark in bench/ and write bench/RESULTS.md; exit 1 if any budget was missed.
#
#   bash scripts/bench.sh                         # the committed sizes: 1,000,000 tickets
#   BENCH_TICKETS=50000 bash scripts/bench.sh     # the same, quickly
#   BENCH_ONLY="photo_pipeline outbox_bench" bash scripts/bench.sh
#
# BENCH_TICKETS: tickets generated for /status and /stats (4 events each on average; plus one
# department of 10,000 open tickets for /queue);
# BENCH_POSTGRES=0 skips PostgreSQL; BENCH_OUT keeps each benchmark's JSON and log there.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test >&2
export PATH="$HOME/.local/bin:$PATH"

TICKETS="${BENCH_TICKETS:-1000000}"
POSTGRES="${BENCH_POSTGRES:-1}"
ONLY="${BENCH_ONLY:-}"
OUT="${BENCH_OUT:-$(mktemp -d -t snapreport-bench-XXXXXX)}"
mkdir -p "$OUT"
PG_FLAG=()
if [[ "$POSTGRES" == 1 ]]; then PG_FLAG=(--postgres-temp); fi

missed=0
run() {
    local name=$1; shift
    if [[ -n "$ONLY" && " $ONLY " != *" $name "* ]]; then return; fi
    echo "==> $name $*" >&2
    local began=$SECONDS
    uv run --frozen python -m "bench.$name" "$@" >"$OUT/$name.json" 2>"$OUT/$name.log"
    local rc=$?
    echo "$rc" >"$OUT/$name.rc"
    echo "    exit $rc after $((SECONDS - began)) s (log: $OUT/$name.log)" >&2
    if [[ $rc -ne 0 ]]; then missed=1; fi
}

started=$SECONDS
run throughput --messages 1000 --users 50
run photo_pipeline --repeat 7
run intake_bench --citizens 10 --reports 2
run latency_bench --citizens 20 --album 3 "${PG_FLAG[@]}"
run outbox_bench --messages 3000 --chats 600
run stats_bench --tickets "$TICKETS" "${PG_FLAG[@]}"
run memory_bench --drafts 10000 "${PG_FLAG[@]}"
if [[ "$POSTGRES" == 1 ]]; then run replicas_bench --messages 600 --users 60; fi

uv run --frozen python -m bench.report "$OUT" --seconds $((SECONDS - started)) \
    --size "BENCH_TICKETS=$TICKETS, PostgreSQL=$POSTGRES"
echo "==> bench/RESULTS.md written; raw output in $OUT" >&2
exit $missed
