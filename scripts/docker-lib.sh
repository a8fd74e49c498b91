# Sourced by scripts/docker-*.sh: which container engine builds and runs the images, and how.
#
#   CONTAINER_ENGINE   docker | podman | "" (auto: a reachable Docker engine, else podman)
#   DOCKER_CACHE       the offline base image's rootfs tarball and podman's settings
#                      (default ~/.cache/blockid-docker)
#
# podman runs here the way DEPENDENCIES.md describes: runc with cgroupfs (no systemd), no default
# ulimits (the stock containers.conf sets nofile/nproc limits this kernel refuses), host network.

DOCKER_CACHE=${DOCKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blockid-docker}

# engine_detect: sets ENGINE to docker or podman, or returns 1 (with ENGINE_WHY) when neither runs.
engine_detect() {
  ENGINE_WHY=
  case ${CONTAINER_ENGINE:-} in
    docker) docker_ok && ENGINE=docker && return 0; return 1 ;;
    podman) podman_ok && ENGINE=podman && return 0; return 1 ;;
    "") docker_ok && ENGINE=docker && return 0
        podman_ok && ENGINE=podman && return 0
        ENGINE_WHY="no Docker engine and no working podman: $ENGINE_WHY"; return 1 ;;
    *) ENGINE_WHY="CONTAINER_ENGINE=$CONTAINER_ENGINE: expected docker or podman"; return 1 ;;
  esac
}

docker_ok() {
  if ! command -v docker >/dev/null 2>&1; then ENGINE_WHY="the docker CLI is not installed"; return 1; fi
  # podman-docker installs a `docker` that is podman: treat it as podman.
  if docker --version 2>/dev/null | grep -qi podman; then ENGINE_WHY="docker is podman's alias"; return 1; fi
  if ! docker info >/dev/null 2>&1; then ENGINE_WHY="docker info cannot reach a daemon${DOCKER_HOST:+ at $DOCKER_HOST}"; return 1; fi
}

podman_ok() {
  if ! command -v podman >/dev/null 2>&1; then ENGINE_WHY="${ENGINE_WHY:+$ENGINE_WHY; }podman is not installed (scripts/docker-install.sh)"; return 1; fi
  if ! command -v runc >/dev/null 2>&1; then ENGINE_WHY="${ENGINE_WHY:+$ENGINE_WHY; }runc is not installed (scripts/docker-install.sh)"; return 1; fi
  podman_conf
  if ! pm info >/dev/null 2>&1; then ENGINE_WHY="${ENGINE_WHY:+$ENGINE_WHY; }podman info fails: $(pm info 2>&1 | tail -n 1)"; return 1; fi
}

# podman_conf: CONTAINERS_CONF with `default_ulimits = []`, unless the caller set one.
podman_conf() {
  if [ -z "${CONTAINERS_CONF:-}" ]; then
    mkdir -p "$DOCKER_CACHE"
    if [ ! -f "$DOCKER_CACHE/containers.conf" ]; then
      printf '[containers]\ndefault_ulimits = []\n' > "$DOCKER_CACHE/containers.conf"
    fi
    export CONTAINERS_CONF=$DOCKER_CACHE/containers.conf
  fi
}

# pm ARGS…: podman with the runtime settings that work on these machines.
pm() {
  podman --runtime runc --cgroup-manager cgroupfs "$@"
}

# engine ARGS…: the detected engine.
engine() {
  if [ "$ENGINE" = podman ]; then pm "$@"; else docker "$@"; fi
}

# now_ms: milliseconds since the epoch.
now_ms() {
  date +%s%3N
}
