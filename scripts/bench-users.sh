#!/usr/bin/env bash
# The users-mgmt part of `make bench`: builds users-mgmt and loadgen in release, starts users-mgmt
# alone on a free loopback port (WORKERS=1, SQLite in a fresh data folder, a local system license
# key, the default argon2id parameters unless ARGON2_* are set) and runs loadgen's password login
# and user create scenarios for a bounded time each. One login is one argon2id verification and
# one create one argon2id hash: compare the table's CPU time per request with
# `cargo bench -p users-mgmt` (argon2id alone) for argon2's share. Stops the service on any exit.
#
#   scripts/bench-users.sh
#   BENCH_SECONDS=20 BENCH_CONCURRENCY=4 scripts/bench-users.sh
#   BENCH_STORES="sqlite postgres" scripts/bench-users.sh   # postgres: DATABASE_URL of the second run
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

SECONDS_EACH=${BENCH_SECONDS:-20}
CONCURRENCY=${BENCH_CONCURRENCY:-4}
STORES=${BENCH_STORES:-sqlite}
POSTGRES=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

build_release users-mgmt
echo "# Load run: users-mgmt (release, WORKERS=1) on loopback, $(nproc) CPUs shared with loadgen, $(date -u +%FT%TZ)"
for store in $STORES; do
  extra=()
  case $store in
    sqlite) ;;
    postgres) extra=(DATABASE_URL="$POSTGRES") ;;
    *) echo "bench-users: unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
  esac
  start_service users-mgmt "${extra[@]}"
  echo
  "$LOADGEN" --url "http://127.0.0.1:$SERVICE_PORT" --pid "$SERVICE_PID" --license "$SERVICE_LICENSE" \
    --tenant-id 000000000000000000000000 --community-id 000000000000000000000001 \
    --duration "$SECONDS_EACH" --concurrency "$CONCURRENCY" --label "users-mgmt on $store" \
    --scenario publickeys --scenario user-login --scenario user-create
  stop_service
done
