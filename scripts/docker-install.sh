#!/usr/bin/env bash
# Installs what `make docker` and `make docker-test` need on a Debian machine without a Docker
# engine: podman with runc (run the way scripts/docker-lib.sh does), debootstrap (the offline base
# image), and the PostgreSQL / Redis clients the container test uses to make and drop its
# database. Does nothing when all are there. Exits 1 when they cannot be installed (not root, no
# apt-get, the mirror unreachable) or podman then does not run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-lib.sh

need=()
for pair in podman:podman runc:runc debootstrap:debootstrap psql:postgresql-client redis-cli:redis-tools; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || { echo "docker-install: FAILED: ${need[*]} missing and no apt-get" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "docker-install: FAILED: ${need[*]} missing; installing them needs root" >&2; exit 1; }
  echo "docker-install: apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another install (scripts/install-test-deps.sh, a parallel job) may hold the dpkg lock: wait.
  lock=(-o DPkg::Lock::Timeout=600)
  apt-get "${lock[@]}" update -qq || { echo "docker-install: FAILED: apt-get update" >&2; exit 1; }
  apt-get "${lock[@]}" install -y -qq "${need[@]}" >/dev/null \
    || { echo "docker-install: FAILED: apt-get install ${need[*]}" >&2; exit 1; }
fi
# uidmap/slirp4netns/conmon/containers-storage come with podman; check that it really runs.
if ! CONTAINER_ENGINE=podman engine_detect; then
  echo "docker-install: FAILED: podman is installed but does not run: $ENGINE_WHY" >&2
  exit 1
fi
echo "docker-install: $(podman --version), $(runc --version | head -n 1), debootstrap $(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null || echo '?')"
