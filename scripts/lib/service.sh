# Shared by scripts/bench.sh, scripts/bench-users.sh and scripts/soak.sh (sourced): build the
# release binaries, start one service alone on a free loopback port and stop it again, also when
# the caller exits early.
#
# After start_service (or start_sessions): SERVICE_PID, SERVICE_PORT, SERVICE_LICENSE (a local
# system key).

TARGET=${CARGO_TARGET_DIR:-target}
LOADGEN=$TARGET/release/loadgen
SERVICE_PID=
SERVICE_DATA=

# build_release [PACKAGE…]: loadgen and the services named (sessions by default), in release.
build_release() {
  local packages=("${@:-sessions}")
  echo "building ${packages[*]} and loadgen (release)…" >&2
  cargo build --quiet --release "${packages[@]/#/--package=}" -p loadgen
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_answers() {
  local hostport=${1#redis://}
  hostport=${hostport##*@}
  hostport=${hostport%%/*}
  local host=${hostport%:*} port=${hostport##*:}
  [[ $host == "$hostport" ]] && port=6379
  timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && [[ \$line == +PONG* ]]" 2>/dev/null
}

# start_sessions [VAR=value…]: a fresh data folder, WORKERS=1, warnings-only logs, and the one
# community loadgen creates sessions in (its default LOADGEN_COMMUNITY_ID).
BENCH_COMMUNITIES='[{"tenantId":"000000000000000000000000","communityId":"000000000000000000000001","communityName":"default"}]'

start_sessions() {
  start_service sessions "$@"
}

# start_service NAME [VAR=value…]: the release binary NAME, as start_sessions describes.
start_service() {
  local name=$1
  shift
  SERVICE_PORT=$(free_port)
  SERVICE_DATA=$(mktemp -d)
  SERVICE_LICENSE="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  env HOST=127.0.0.1 PORT="$SERVICE_PORT" DATA_DIR="$SERVICE_DATA" SERVICE_DIRECTORY='{}' \
    LICENSE_KEYS="system:$SERVICE_LICENSE" LOCAL_COMMUNITIES="$BENCH_COMMUNITIES" WORKERS="${WORKERS:-1}" RUST_LOG=warn "$@" \
    "$TARGET/release/$name" >"$SERVICE_DATA/$name.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$SERVICE_PORT/healthz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
      cat "$SERVICE_DATA/$name.log" >&2
      echo "$name did not start" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name did not answer /healthz within 30 s" >&2
  return 1
}

stop_service() {
  if [[ -n $SERVICE_PID ]]; then
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
  fi
  if [[ -n $SERVICE_DATA ]]; then
    rm -rf "$SERVICE_DATA"
    SERVICE_DATA=
  fi
}

trap stop_service EXIT
trap 'exit 130' INT TERM

stop_sessions() {
  stop_service
}
