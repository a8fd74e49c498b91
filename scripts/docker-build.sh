#!/usr/bin/env bash
# Builds the three service images from deploy/Dockerfile (one target per service) with the
# version baked in (GIT_TAG / GIT_COMMIT / BUILD_EPOCH), then prints each image's size and the
# time the build took.
#
#   scripts/docker-build.sh                      # blockid/<service>:<git tag or commit> + :<chart appVersion>
#   IMAGE_REGISTRY=ghcr.io/acme IMAGE_TAG=1.2.3 PUSH=1 scripts/docker-build.sh
#                                                # ghcr.io/acme/blockid/<service>:1.2.3
#   SERVICES="adminapi" scripts/docker-build.sh
#
# Image names match the chart's: global.image.registry + "/" + blockid/<service>, and a local
# build (PUSH unset) is also tagged with helm/blockid/Chart.yaml's appVersion, the tag the chart
# uses by default.
#
# The engine (CONTAINER_ENGINE, default: auto):
#   docker   BuildKit compiles the binaries inside the build (BINARIES=source) on
#            debian:<release>-slim, as anywhere with a registry.
#   podman   where no registry is reachable (these machines): the binaries come from a build
#            made here (`cargo build --profile docker`: release with fat LTO, see Cargo.toml;
#            DOCKER_PROFILE picks another, in $CARGO_TARGET_DIR) and the runtime files
#            from the offline Debian base of scripts/docker-base.sh (BINARIES=prebuilt,
#            BASE_IMAGE=localhost/blockid-base:<release>). Same Dockerfile.
# BINARIES and BASE_IMAGE may be set for either engine.
#
# With no engine, as root on Debian, it first installs podman (scripts/docker-install.sh;
# DOCKER_INSTALL=0 turns that off). Still none: it prints "skipped: …" and exits 0, or fails with
# DOCKER_REQUIRED=1 or TEST_BACKENDS_REQUIRED=1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-lib.sh

ALL_SERVICES="users-mgmt adminapi sessions"
SERVICES=${SERVICES:-$ALL_SERVICES}
IMAGE_REGISTRY=${IMAGE_REGISTRY:-}
IMAGE_PREFIX=${IMAGE_REGISTRY:+${IMAGE_REGISTRY%/}/}blockid
GIT_COMMIT=${GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
GIT_TAG=${GIT_TAG:-$(git describe --tags --exact-match HEAD 2>/dev/null || true)}
BUILD_EPOCH=${BUILD_EPOCH:-$(git log -1 --format=%ct HEAD 2>/dev/null || date +%s)}
IMAGE_TAG=${IMAGE_TAG:-${GIT_TAG:-$GIT_COMMIT}}
CHART_TAG=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' helm/blockid/Chart.yaml)
PLATFORM=${PLATFORM:-}
PUSH=${PUSH:-0}
REQUIRED=${DOCKER_REQUIRED:-${TEST_BACKENDS_REQUIRED:-0}}
DOCKER_PROFILE=${DOCKER_PROFILE:-docker}

if ! engine_detect && [ "${DOCKER_INSTALL:-1}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "docker-build: $ENGINE_WHY: installing podman (scripts/docker-install.sh; DOCKER_INSTALL=0 does not)"
  scripts/docker-install.sh || true
fi
if ! engine_detect; then
  if [ "$REQUIRED" = 1 ]; then
    echo "docker-build: FAILED: $ENGINE_WHY" >&2
    exit 1
  fi
  echo "docker-build: skipped: $ENGINE_WHY"
  exit 0
fi
if [ "$ENGINE" = podman ]; then
  BINARIES=${BINARIES:-prebuilt}
  [ -z "$PLATFORM" ] || { echo "docker-build: PLATFORM needs docker buildx" >&2; exit 1; }
else
  BINARIES=${BINARIES:-source}
fi
case $BINARIES in source | prebuilt) ;; *) echo "docker-build: BINARIES=$BINARIES: expected source or prebuilt" >&2; exit 1 ;; esac

tags_of() {
  local service=$1
  echo "$IMAGE_PREFIX/$service:$IMAGE_TAG"
  if [ "$PUSH" != 1 ] && [ -n "$CHART_TAG" ] && [ "$CHART_TAG" != "$IMAGE_TAG" ]; then
    echo "$IMAGE_PREFIX/$service:$CHART_TAG"
  fi
}

started=$(now_ms)
args=(--file deploy/Dockerfile
  --build-arg BINARIES="$BINARIES"
  --build-arg CARGO_PROFILE="$DOCKER_PROFILE"
  --build-arg GIT_COMMIT="$GIT_COMMIT"
  --build-arg GIT_TAG="$GIT_TAG"
  --build-arg BUILD_EPOCH="$BUILD_EPOCH")
context=.
cargo_s=-

if [ "$BINARIES" = prebuilt ]; then
  # The binaries, with the version kit's build.rs would take from the build args.
  export GIT_COMMIT BUILD_EPOCH
  if [ -n "$GIT_TAG" ]; then export GIT_TAG; else unset GIT_TAG; fi
  packages=()
  for s in $ALL_SERVICES; do packages+=(-p "$s"); done
  echo "docker-build: cargo build --profile $DOCKER_PROFILE --locked ${packages[*]}"
  t=$(now_ms)
  cargo build --profile "$DOCKER_PROFILE" --locked "${packages[@]}"
  cargo_s=$(( ($(now_ms) - t) / 100 ))
  cargo_s=$((cargo_s / 10)).$((cargo_s % 10))
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  mkdir "$context/bin"
  for s in $ALL_SERVICES; do
    # cargo's folder of a profile: dev builds go to debug/, every other profile to its name.
    bin=${CARGO_TARGET_DIR:-target}/$([ "$DOCKER_PROFILE" = dev ] && echo debug || echo "$DOCKER_PROFILE")/$s
    ln "$bin" "$context/bin/$s" 2>/dev/null || cp "$bin" "$context/bin/$s"
  done
fi

base_s=-
if [ "$ENGINE" = podman ] && [ -z "${BASE_IMAGE:-}" ]; then
  t=$(now_ms)
  BASE_IMAGE=$(scripts/docker-base.sh)
  base_s=$(( ($(now_ms) - t) / 100 ))
  base_s=$((base_s / 10)).$((base_s % 10))
fi
[ -z "${BASE_IMAGE:-}" ] || args+=(--build-arg BASE_IMAGE="$BASE_IMAGE")
[ -z "${DEBIAN_RELEASE:-}" ] || args+=(--build-arg DEBIAN_RELEASE="$DEBIAN_RELEASE")
[ -z "${BUILDER_IMAGE:-}" ] || args+=(--build-arg BUILDER_IMAGE="$BUILDER_IMAGE")

push_after=0
if [ "$ENGINE" = podman ]; then
  # docker format: OCI image configs have no HEALTHCHECK. Host network: a source build (or a base
  # without busybox) fetches crates and packages. The ignore file only matters for a source build.
  build=(pm build --format docker --layers --network host --ignorefile deploy/Dockerfile.dockerignore)
  push_after=$PUSH
elif docker buildx version >/dev/null 2>&1; then
  build=(docker buildx build)
  if [ "$PUSH" = 1 ]; then build+=(--push); else build+=(--load); fi
  [ -n "$PLATFORM" ] && build+=(--platform "$PLATFORM")
else
  [ -z "$PLATFORM" ] || { echo "docker-build: PLATFORM needs docker buildx" >&2; exit 1; }
  # BuildKit is what reads deploy/Dockerfile.dockerignore; the legacy builder would send target/.
  build=(env DOCKER_BUILDKIT=1 docker build)
  push_after=$PUSH
fi

echo "docker-build: $ENGINE, binaries $BINARIES${BASE_IMAGE:+, base $BASE_IMAGE}, version ${GIT_TAG:+$GIT_TAG.}$GIT_COMMIT.$BUILD_EPOCH"
t=$(now_ms)
for service in $SERVICES; do
  tags=()
  for tag in $(tags_of "$service"); do tags+=(--tag "$tag"); done
  echo "docker-build: building ${tags[*]//--tag /} (target $service)"
  "${build[@]}" "${args[@]}" --target "$service" "${tags[@]}" "$context"
  if [ "$push_after" = 1 ]; then engine push "$IMAGE_PREFIX/$service:$IMAGE_TAG"; fi
done
images_s=$(( ($(now_ms) - t) / 100 ))
images_s=$((images_s / 10)).$((images_s % 10))
total_s=$(( ($(now_ms) - started) / 100 ))
total_s=$((total_s / 10)).$((total_s % 10))

echo "docker-build: built in ${total_s} s (cargo $DOCKER_PROFILE build ${cargo_s} s, base image ${base_s} s, images ${images_s} s):"
for service in $SERVICES; do
  image="$IMAGE_PREFIX/$service:$IMAGE_TAG"
  if [ "$PUSH" = 1 ] && [ "$ENGINE" = docker ] && [ "$push_after" = 0 ]; then
    echo "  $image (pushed)"
    continue
  fi
  bytes=$(engine image inspect --format '{{.Size}}' "$image")
  printf '  %-48s %6.1f MB\n' "$image" "$(echo "$bytes" | awk '{ print $1 / 1000000 }')"
done
