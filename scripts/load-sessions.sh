#!/usr/bin/env bash
# Reports requests/second for creating and polling sessions against a built `sessions` binary,
# started here on a free loopback port with a fresh data folder and stopped on exit.
#
#   scripts/load-sessions.sh                 # debug binary, embedded SQLite store
#   PROFILE=release scripts/load-sessions.sh # release binary (built if missing)
#   REDIS_URL=redis://127.0.0.1:6379 scripts/load-sessions.sh   # Redis as the session store
#   REQUESTS=2000 CONCURRENCY=16 MAX_SECONDS=60 WORKERS=2        # bounds (per phase)
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-debug}
BIN=target/$PROFILE/sessions
if [[ ! -x $BIN ]]; then
  if [[ $PROFILE == release ]]; then cargo build --release --bin sessions; else cargo build --bin sessions; fi
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
LICENSE="load-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
EXTRA=()
STORE=sqlite
if [[ -n ${REDIS_URL:-} ]]; then
  EXTRA=(REDIS_URL="$REDIS_URL" REDIS_PREFIX="load:$PORT:$$:")
  STORE=redis
fi

env HOST=127.0.0.1 PORT="$PORT" DATA_DIR="$DATA" SERVICE_DIRECTORY='{}' LICENSE_KEYS="app:$LICENSE" \
  WORKERS="${WORKERS:-2}" RUST_LOG=warn "${EXTRA[@]}" "$BIN" >"$DATA/sessions.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT

for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then cat "$DATA/sessions.log"; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null

echo "sessions ($PROFILE binary, store: $STORE, ${WORKERS:-2} workers) on port $PORT"
cargo run -q -p sessions --example load_sessions -- --url "http://127.0.0.1:$PORT" --license "$LICENSE" \
  --requests "${REQUESTS:-2000}" --concurrency "${CONCURRENCY:-16}" --max-seconds "${MAX_SECONDS:-60}"
