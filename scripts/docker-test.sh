#!/usr/bin/env bash
# The container test (`make docker-test`, after `make docker`): runs the images the chart names by
# default (helm/blockid values `<svc>.image.repository` : Chart.yaml appVersion) as three
# containers on loopback ports, on the host's PostgreSQL (a fresh database) and Redis (a fresh key
# prefix), the way the chart runs them: non-root, read-only root filesystem, no capabilities, a
# tmpfs on /data and /tmp. Then:
#   - measures each image's size (fails above IMAGE_SIZE_LIMIT_MB, 40) and each container's cold
#     start: `run` until /healthz answers 200, on an empty database (migrations included);
#   - checks in each container: user 10001, the root filesystem refuses writes, the image's
#     HEALTHCHECK passes;
#   - bootstraps with the adminapi image's own command line (`adminapi bootstrap`);
#   - runs tests-e2e/tests/containers.rs against them (a cross-device login through sessions with
#     an app license checked by adminapi, refusals, a key disabled by the command line, users-mgmt
#     with the bootstrap license, each /healthz on postgres + redis with the built version);
#   - fails when a container logged an ERROR.
# The containers, the database and the Redis keys are removed at the end, also on failure or ^C
# (leftovers of a killed run: `podman rm -f $(podman ps -aq --filter label=blockid.test=docker-test)`).
#
# Without a container engine, PostgreSQL or Redis it says SKIPPED and exits 0, or fails with
# TEST_BACKENDS_REQUIRED=1 / DOCKER_REQUIRED=1 (CI). Missing images always fail (make docker).
#
#   TEST_POSTGRES_URL      default postgres://postgres@127.0.0.1:5432/test (its server gets the database)
#   TEST_REDIS_URL         default redis://127.0.0.1:6379/0
#   DOCKER_TEST_DATABASES  shared (default: one database, as the compose file and the chart's
#                          global.database) or per-service (the chart's <svc>.database)
#   DOCKER_TEST_PROFILE    the cargo profile the client test is built in: dev (default: `make test`
#                          built it) or docker (`make docker` built most of its dependencies)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-lib.sh

REQUIRED=${DOCKER_REQUIRED:-${TEST_BACKENDS_REQUIRED:-0}}
POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
SIZE_LIMIT_MB=${IMAGE_SIZE_LIMIT_MB:-40}
PROFILE=${DOCKER_TEST_PROFILE:-dev}
DATABASES=${DOCKER_TEST_DATABASES:-shared}
SERVICES=(adminapi users-mgmt sessions) # adminapi first: the license authority of the others

say() { echo "docker-test: $*"; }
unavailable() {
  if [ "$REQUIRED" = 1 ]; then
    echo "docker-test: FAILED: $*" >&2
    exit 1
  fi
  echo "docker-test: SKIPPED: $*"
  exit 0
}
seconds() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

engine_detect || unavailable "$ENGINE_WHY"
command -v psql >/dev/null 2>&1 || unavailable "psql is not installed (scripts/docker-install.sh)"
command -v redis-cli >/dev/null 2>&1 || unavailable "redis-cli is not installed (scripts/docker-install.sh)"
psql "$POSTGRES_URL" -qAtc 'SELECT 1' >/dev/null 2>&1 || unavailable "PostgreSQL does not answer at $POSTGRES_URL"
[ "$(redis-cli -u "$REDIS_URL" PING 2>/dev/null)" = PONG ] || unavailable "Redis does not answer at $REDIS_URL"

# The chart's default image of each service: <svc>.image.repository and the chart's appVersion.
chart_tag=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' helm/blockid/Chart.yaml)
declare -A IMAGE
while read -r key repository; do
  case $key in
    usersMgmt) IMAGE[users-mgmt]=$repository:$chart_tag ;;
    adminapi | sessions) IMAGE[$key]=$repository:$chart_tag ;;
  esac
done < <(awk '/^[A-Za-z]/ { top = $1; sub(":", "", top) } /^    repository:/ { print top, $2 }' helm/blockid/values.yaml)
for s in "${SERVICES[@]}"; do
  [ -n "${IMAGE[$s]:-}" ] || { echo "docker-test: FAILED: no $s image in helm/blockid/values.yaml" >&2; exit 1; }
  engine image inspect "${IMAGE[$s]}" >/dev/null 2>&1 \
    || { echo "docker-test: FAILED: ${IMAGE[$s]} (the chart's default) is not built: run make docker" >&2; exit 1; }
done

# Sizes first: they need nothing running.
sizes=()
too_big=0
for s in "${SERVICES[@]}"; do
  bytes=$(engine image inspect --format '{{.Size}}' "${IMAGE[$s]}")
  mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1000000 }')
  sizes+=("${IMAGE[$s]} $mb MB")
  if awk -v b="$bytes" -v l="$SIZE_LIMIT_MB" 'BEGIN { exit !(b > l * 1000000) }'; then too_big=1; fi
done
say "image sizes: ${sizes[*]/%/;}"
[ "$too_big" = 0 ] || { echo "docker-test: FAILED: an image is larger than $SIZE_LIMIT_MB MB" >&2; exit 1; }

# The client test, built before anything starts.
profile_args=()
[ "$PROFILE" = dev ] || profile_args=(--profile "$PROFILE")
say "building the client test (cargo test ${profile_args[*]} -p tests-e2e --test containers)"
cargo test --locked --quiet "${profile_args[@]}" -p tests-e2e --test containers --no-run

run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
prefix=blockid-ct-$run
# shared: one database for the three services, as deploy/docker-compose.yml and the chart's
# global.database have it; per-service: one each (the chart's <svc>.database).
declare -A DB
epoch=$(date +%s)
for s in "${SERVICES[@]}"; do
  case $DATABASES in
    shared) DB[$s]=ct_${epoch}_$run ;;
    per-service) DB[$s]=ct_${epoch}_${run}_${s//-/_} ;;
    *) echo "docker-test: DOCKER_TEST_DATABASES=$DATABASES: expected shared or per-service" >&2; exit 1 ;;
  esac
done
databases=$(printf '%s\n' "${DB[@]}" | sort -u)
redis_prefix="$prefix:"
work=$(mktemp -d)
chmod 0700 "$work"
containers=()

cleanup() {
  local status=$?
  set +e
  if [ "$status" != 0 ]; then
    for c in "${containers[@]}"; do
      echo "----- $c (last 40 lines)" >&2
      engine logs --tail 40 "$c" >&2 2>&1
    done
  fi
  for c in "${containers[@]}"; do engine rm -f "$c" >/dev/null 2>&1; done
  for db in $databases; do psql "$POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
  redis-cli -u "$REDIS_URL" --scan --pattern "$redis_prefix*" 2>/dev/null | xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null 2>&1
  rm -rf "$work"
  if [ "$status" = 0 ]; then say "passed"; else echo "docker-test: FAILED (containers, databases $(echo $databases) and Redis keys $redis_prefix* removed)" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
declare -A PORT URL
for s in "${SERVICES[@]}"; do
  PORT[$s]=$(free_port)
  URL[$s]=http://127.0.0.1:${PORT[$s]}
done

for db in $databases; do psql "$POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null; done
for s in "${SERVICES[@]}"; do
  echo "DATABASE_URL=${POSTGRES_URL%/*}/${DB[$s]}" > "$work/env.$s"
done
# What the chart gives every service (ConfigMap + secret files), as an env file (not on the
# command line: it holds the infra license key and the database URL).
cat > "$work/env" <<ENV
REDIS_URL=$REDIS_URL
REDIS_PREFIX=$redis_prefix
INFRA_LICENSE_KEY=ct-$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
SERVICE_DIRECTORY={"users-mgmt":"${URL[users-mgmt]}","adminapi":"${URL[adminapi]}","sessions":"${URL[sessions]}","licenses":"${URL[adminapi]}"}
HOST=127.0.0.1
WORKERS=2
LOG_FORMAT=json
RUST_LOG=info
ENV

# The confinement of the chart's securityContext (runAsUser 10001 comes from the image).
# /data is owned by the user as an emptyDir with fsGroup would be (podman: U, docker: uid/gid).
confined=(--network host --read-only --cap-drop ALL --security-opt no-new-privileges
  --tmpfs /tmp:rw,size=16m --env-file "$work/env")
if [ "$ENGINE" = podman ]; then
  # podman would start a systemd timer for the HEALTHCHECK (no systemd here): the script runs it.
  confined+=(--tmpfs /data:rw,size=16m,mode=0750,U --health-interval disable)
else
  confined+=(--tmpfs /data:rw,size=16m,mode=0750,uid=10001,gid=10001)
fi

# The operator's command line: `adminapi …` in the adminapi image, on the same database and Redis.
cat > "$work/adminapi" <<SH
#!/bin/sh
exec $( [ "$ENGINE" = podman ] && printf 'env CONTAINERS_CONF=%q podman --runtime runc --cgroup-manager cgroupfs' "$CONTAINERS_CONF" || echo docker) \\
  run --rm --label blockid.test=docker-test $(printf '%q ' "${confined[@]}") --env-file $work/env.adminapi --no-healthcheck ${IMAGE[adminapi]} "\$@"
SH
chmod 0700 "$work/adminapi"

starts=()
for s in "${SERVICES[@]}"; do
  name=$prefix-$s
  t0=$(now_ms)
  containers+=("$name")
  # stderr aside: podman 4.3 reports that it found no systemd for the healthcheck timer.
  engine run --detach --name "$name" --label blockid.test=docker-test "${confined[@]}" \
    --env-file "$work/env.$s" -e PORT="${PORT[$s]}" "${IMAGE[$s]}" >/dev/null 2>"$work/run.$s" \
    || { cat "$work/run.$s" >&2; echo "docker-test: FAILED: $ENGINE run $s" >&2; exit 1; }
  t1=$(now_ms)
  until curl -fsS -o /dev/null --max-time 1 "${URL[$s]}/healthz" 2>/dev/null; do
    if [ "$(engine inspect --format '{{.State.Running}}' "$name")" != true ]; then
      echo "docker-test: FAILED: $s exited during start-up" >&2
      exit 1
    fi
    if [ $(( $(now_ms) - t0 )) -gt 30000 ]; then
      echo "docker-test: FAILED: $s did not answer /healthz with 200 within 30 s" >&2
      exit 1
    fi
    sleep 0.01
  done
  t2=$(now_ms)
  starts+=("$s $(seconds $((t2 - t0))) s (run returned after $(seconds $((t1 - t0))) s)")
done
say "cold start, $ENGINE run to /healthz 200 on an empty database: ${starts[*]/%/;}"

for s in "${SERVICES[@]}"; do
  name=$prefix-$s
  uid=$(engine exec "$name" /bin/busybox id -u)
  [ "$uid" = 10001 ] || { echo "docker-test: FAILED: $s runs as uid $uid, not 10001" >&2; exit 1; }
  if engine exec "$name" /bin/sh -c ': > /probe' 2>/dev/null; then
    echo "docker-test: FAILED: $s could write to its root filesystem" >&2
    exit 1
  fi
  if [ "$ENGINE" = podman ]; then
    pm healthcheck run "$name" >/dev/null || { echo "docker-test: FAILED: $s's HEALTHCHECK failed" >&2; exit 1; }
  else
    test=$(docker inspect --format '{{index .Config.Healthcheck.Test 3}}' "$name")
    docker exec "$name" /bin/sh -c "$test" || { echo "docker-test: FAILED: $s's HEALTHCHECK failed" >&2; exit 1; }
  fi
done
say "each container: uid 10001, read-only root filesystem, HEALTHCHECK passes"

"$work/adminapi" bootstrap --out /data/bootstrap.json > "$work/bootstrap.json"
say "bootstrapped with ${IMAGE[adminapi]} bootstrap"

git_commit=${GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
git_tag=${GIT_TAG:-$(git describe --tags --exact-match HEAD 2>/dev/null || true)}
build_epoch=${BUILD_EPOCH:-$(git log -1 --format=%ct HEAD 2>/dev/null || echo 0)}
BLOCKID_CONTAINERS_USERS_MGMT=${URL[users-mgmt]} \
BLOCKID_CONTAINERS_ADMINAPI=${URL[adminapi]} \
BLOCKID_CONTAINERS_SESSIONS=${URL[sessions]} \
BLOCKID_CONTAINERS_BOOTSTRAP=$work/bootstrap.json \
BLOCKID_CONTAINERS_ADMIN=$work/adminapi \
BLOCKID_CONTAINERS_VERSION=${git_tag:+$git_tag.}$git_commit.$build_epoch \
  cargo test --locked --quiet "${profile_args[@]}" -p tests-e2e --test containers -- --ignored

errors=0
for c in "${containers[@]}"; do
  if engine logs "$c" 2>&1 | grep -E '"level":"ERROR"' >&2; then
    echo "docker-test: $c logged an ERROR (above)" >&2
    errors=1
  fi
done
[ "$errors" = 0 ] || exit 1
