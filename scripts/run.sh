#!/usr/bin/env bash
# Starts the three services on the embedded default (SQLite files under ./data) and prints what a
# caller needs. Ctrl-C stops them all. Ports: USERS_MGMT_PORT (8081), ADMINAPI_PORT (8082),
# SESSIONS_PORT (8083). PROFILE=release runs release builds (build them with cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-debug}
BIN=${CARGO_TARGET_DIR:-target}/$PROFILE
DATA_DIR=${DATA_DIR:-./data}
UM_PORT=${USERS_MGMT_PORT:-8081}
AA_PORT=${ADMINAPI_PORT:-8082}
SE_PORT=${SESSIONS_PORT:-8083}
mkdir -p "$DATA_DIR"

# Local license keys, made once and reused by later runs.
LOCAL_ENV="$DATA_DIR/local.env"
if [ ! -f "$LOCAL_ENV" ]; then
  umask 077
  gen() { head -c 24 /dev/urandom | base64 | tr '+/' '-_'; }
  {
    echo "INFRA_LICENSE_KEY=$(gen)"
    echo "SYSTEM_LICENSE_KEY=$(gen)"
  } > "$LOCAL_ENV"
fi
# shellcheck disable=SC1090
source "$LOCAL_ENV"

export DATA_DIR INFRA_LICENSE_KEY
export LICENSE_KEYS="system:$SYSTEM_LICENSE_KEY${LICENSE_KEYS:+,$LICENSE_KEYS}"
export SERVICE_DIRECTORY="{\"users-mgmt\":\"http://127.0.0.1:$UM_PORT\",\"adminapi\":\"http://127.0.0.1:$AA_PORT\",\"sessions\":\"http://127.0.0.1:$SE_PORT\",\"licenses\":\"http://127.0.0.1:$AA_PORT\"}"

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

PORT=$AA_PORT "$BIN/adminapi" & pids+=($!)
PORT=$UM_PORT "$BIN/users-mgmt" & pids+=($!)
PORT=$SE_PORT "$BIN/sessions" & pids+=($!)

for port in "$UM_PORT" "$AA_PORT" "$SE_PORT"; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

cat <<INFO

BlockID platform is running (data in $DATA_DIR).
  users-mgmt  http://127.0.0.1:$UM_PORT
  adminapi    http://127.0.0.1:$AA_PORT
  sessions    http://127.0.0.1:$SE_PORT
  system license key:   $SYSTEM_LICENSE_KEY
  infra license key:    $INFRA_LICENSE_KEY   (service level)
Press Ctrl-C to stop.
INFO
wait
