#!/usr/bin/env bash
# The load part of `make bench`: builds `sessions` and `loadgen` in release, starts sessions alone
# on a free loopback port (WORKERS=1, a local system license key, a fresh data folder), runs the
# loadgen scenarios for a bounded time each, prints a Markdown table, stops the service; first on
# the embedded default (SQLite), then with REDIS_URL (skipped with a message when Redis does not
# answer). The service is stopped on any exit (trap).
#
#   scripts/bench.sh
#   BENCH_SECONDS=10 BENCH_CONCURRENCY=16 scripts/bench.sh   # bounds per scenario
#   BENCH_STORES="sqlite" scripts/bench.sh                    # sqlite, redis or both (default)
#   REDIS_URL=redis://127.0.0.1:6379 (default)                # the Redis of the second run
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

SECONDS_EACH=${BENCH_SECONDS:-10}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
STORES=${BENCH_STORES:-sqlite redis}
REDIS=${REDIS_URL:-redis://127.0.0.1:6379}

build_release
echo "# Load run: sessions (release, WORKERS=1) on loopback, $(nproc) CPUs shared with loadgen, $(date -u +%FT%TZ)"
for store in $STORES; do
  extra=()
  case $store in
    sqlite) ;;
    redis)
      if ! redis_answers "$REDIS"; then
        echo; echo "### redis: skipped: Redis not reachable at $REDIS"; continue
      fi
      extra=(REDIS_URL="$REDIS" REDIS_PREFIX="bench:$$:$RANDOM:") ;;
    *) echo "bench: unknown store $store (sqlite or redis)" >&2; exit 2 ;;
  esac
  start_sessions "${extra[@]}"
  echo
  "$LOADGEN" --url "http://127.0.0.1:$SERVICE_PORT" --pid "$SERVICE_PID" --license "$SERVICE_LICENSE" \
    --duration "$SECONDS_EACH" --concurrency "$CONCURRENCY" --label "sessions on $store" \
    --scenario publickeys --scenario healthz --scenario session-new --scenario session-poll --scenario raw \
    --raw-path-length 30000
  stop_sessions
done
