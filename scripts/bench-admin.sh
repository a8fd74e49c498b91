#!/usr/bin/env bash
# The adminapi part of `make bench`: release builds of users-mgmt, adminapi and loadgen; both
# services on free loopback ports with one fresh data folder (SQLite, WORKERS=1 each), wired to
# each other as `make run` wires them, bootstrapped (tenant, community, system license, db module,
# administrator), with 100 users created. Then, for BENCH_SECONDS each: an admin login
# (`POST /verifyuser`), a page of 25 users fetched from users-mgmt directly, and the same page
# through adminapi with the login's token (the cost of the proxy hop). Both services are stopped
# on any exit.
#
#   scripts/bench-admin.sh
#   BENCH_SECONDS=20 BENCH_CONCURRENCY=4 scripts/bench-admin.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${BENCH_SECONDS:-20}
CONCURRENCY=${BENCH_CONCURRENCY:-4}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "building users-mgmt, adminapi and loadgen (release)…" >&2
cargo build --quiet --release -p users-mgmt -p adminapi -p loadgen

DATA=$(mktemp -d)
UM_PORT=$(free_port)
AA_PORT=$(free_port)
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap stop EXIT
trap 'exit 130' INT TERM

export DATA_DIR=$DATA WORKERS=1 RUST_LOG=warn
export INFRA_LICENSE_KEY="bench-infra-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export SERVICE_DIRECTORY="{\"users-mgmt\":\"http://127.0.0.1:$UM_PORT\",\"adminapi\":\"http://127.0.0.1:$AA_PORT\",\"licenses\":\"http://127.0.0.1:$AA_PORT\"}"
HOST=127.0.0.1 PORT=$AA_PORT "$BIN/adminapi" >"$DATA/adminapi.log" 2>&1 & pids+=($!)
AA_PID=$!
HOST=127.0.0.1 PORT=$UM_PORT "$BIN/users-mgmt" >"$DATA/users-mgmt.log" 2>&1 & pids+=($!)
UM_PID=$!
for port in "$AA_PORT" "$UM_PORT"; do
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
done
BOOT=$("$BIN/adminapi" bootstrap --out "$DATA/bootstrap.json")
field() { python3 -c "import json,sys; b=json.load(sys.stdin); print(eval('b' + sys.argv[1]))" "$1" <<<"$BOOT"; }
KEY=$(field '["licenseKey"]')
export LOADGEN_TENANT_ID=$(field '["tenantId"]') LOADGEN_COMMUNITY_ID=$(field '["communityId"]')
export LOADGEN_USERNAME=admin LOADGEN_PASSWORD=$(field '["admin"]["password"]')

echo "# Load run: adminapi and users-mgmt (release, WORKERS=1 each, SQLite) on loopback, $(nproc) CPUs shared with loadgen, $(date -u +%FT%TZ)"
# 100 users, so a page of 25 is full.
"$BIN/loadgen" --url "http://127.0.0.1:$UM_PORT" --pid "$UM_PID" --license "$KEY" --requests 100 --concurrency 4 \
  --scenario user-create >/dev/null
echo
"$BIN/loadgen" --url "http://127.0.0.1:$AA_PORT" --pid "$AA_PID" --duration "$SECONDS_EACH" --concurrency "$CONCURRENCY" \
  --label "adminapi (CPU: adminapi's; a login's argon2 runs in users-mgmt)" --scenario publickeys --scenario admin-login \
  --scenario admin-users-fetch
echo
"$BIN/loadgen" --url "http://127.0.0.1:$UM_PORT" --pid "$UM_PID" --license "$KEY" --duration "$SECONDS_EACH" \
  --concurrency "$CONCURRENCY" --label "users-mgmt directly" --scenario publickeys --scenario users-fetch
