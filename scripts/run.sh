#!/usr/bin/env bash
# Starts the three services on the embedded default (SQLite files under ./data), after bootstrapping
# a default tenant, community and system license on the first start (./data/bootstrap.json), and
# prints what a caller needs. Ctrl-C stops them all. Ports: USERS_MGMT_PORT (8081), ADMINAPI_PORT
# (8082), SESSIONS_PORT (8083). PROFILE=release runs release builds (build them with cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-debug}
BIN=${CARGO_TARGET_DIR:-target}/$PROFILE
DATA_DIR=${DATA_DIR:-./data}
UM_PORT=${USERS_MGMT_PORT:-8081}
AA_PORT=${ADMINAPI_PORT:-8082}
SE_PORT=${SESSIONS_PORT:-8083}
mkdir -p "$DATA_DIR"

# The infra license key (service level, for service-to-service calls), made once and reused.
LOCAL_ENV="$DATA_DIR/local.env"
if [ ! -f "$LOCAL_ENV" ] || ! grep -q '^INFRA_LICENSE_KEY=' "$LOCAL_ENV"; then
  umask 077
  echo "INFRA_LICENSE_KEY=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')" > "$LOCAL_ENV"
fi
INFRA_LICENSE_KEY=$(grep '^INFRA_LICENSE_KEY=' "$LOCAL_ENV" | head -n 1 | cut -d= -f2-)

export DATA_DIR INFRA_LICENSE_KEY
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

# Once the services answer, on the first start only: a default tenant, community and system
# license in adminapi's database, the community's db module and an administrator (`admin`,
# tenant_admin, a generated password) in users-mgmt, written to $DATA_DIR/bootstrap.json (mode
# 0600). Later starts find the same ones (the command is idempotent).
BOOTSTRAP="$DATA_DIR/bootstrap.json"
"$BIN/adminapi" bootstrap --out "$BOOTSTRAP" >/dev/null

cat <<INFO

BlockID platform is running (data in $DATA_DIR).
  users-mgmt  http://127.0.0.1:$UM_PORT
  adminapi    http://127.0.0.1:$AA_PORT   (license authority)
  sessions    http://127.0.0.1:$SE_PORT
  infra license key:    $INFRA_LICENSE_KEY   (service level)
Bootstrap ($BOOTSTRAP; licenseKey is the system license):
$(cat "$BOOTSTRAP")
A signed request, as the SDKs make it (README: "A first user"):
  $BIN/blockid-call --license <licenseKey> POST http://127.0.0.1:$UM_PORT/tenant/<tenantId>/community/<communityId>/modules/fetch '{}'
The administrator's login (admin.username / admin.password above; no license):
  $BIN/blockid-call POST http://127.0.0.1:$AA_PORT/verifyuser '{"tenantId":"<tenantId>","communityId":"<communityId>","username":"admin","password":"<admin.password>"}'
Press Ctrl-C to stop.
INFO
wait
