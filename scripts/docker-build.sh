#!/usr/bin/env bash
# Builds the three service images from deploy/Dockerfile (one target per service) with the
# version baked in (GIT_TAG / GIT_COMMIT / BUILD_EPOCH: the build context has no .git).
#
#   scripts/docker-build.sh                      # blockid/<service>:<git tag or commit>
#   IMAGE_REGISTRY=ghcr.io/acme IMAGE_TAG=1.2.3 PUSH=1 scripts/docker-build.sh
#                                                # ghcr.io/acme/blockid/<service>:1.2.3
# Image names match the chart's: global.image.registry + "/" + blockid/<service>.
#   SERVICES="adminapi" scripts/docker-build.sh
#
# Without a reachable Docker engine it prints "skipped: no Docker engine" and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=${SERVICES:-"users-mgmt adminapi sessions"}
IMAGE_REGISTRY=${IMAGE_REGISTRY:-}
IMAGE_PREFIX=${IMAGE_REGISTRY:+${IMAGE_REGISTRY%/}/}blockid
GIT_COMMIT=${GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
GIT_TAG=${GIT_TAG:-$(git describe --tags --exact-match HEAD 2>/dev/null || true)}
BUILD_EPOCH=${BUILD_EPOCH:-$(git log -1 --format=%ct HEAD 2>/dev/null || date +%s)}
IMAGE_TAG=${IMAGE_TAG:-${GIT_TAG:-$GIT_COMMIT}}
PLATFORM=${PLATFORM:-}
PUSH=${PUSH:-0}

if ! command -v docker >/dev/null 2>&1; then
  echo "docker-build: skipped: no Docker engine (the docker CLI is not installed)"
  exit 0
fi
if ! docker info >/dev/null 2>&1; then
  echo "docker-build: skipped: no Docker engine (docker info cannot reach a daemon${DOCKER_HOST:+ at $DOCKER_HOST})"
  exit 0
fi

push_after=0
if docker buildx version >/dev/null 2>&1; then
  build=(docker buildx build)
  if [ "$PUSH" = 1 ]; then build+=(--push); else build+=(--load); fi
  [ -n "$PLATFORM" ] && build+=(--platform "$PLATFORM")
else
  [ -z "$PLATFORM" ] || { echo "docker-build: PLATFORM needs docker buildx" >&2; exit 1; }
  # BuildKit is what reads deploy/Dockerfile.dockerignore; the legacy builder would send target/.
  build=(env DOCKER_BUILDKIT=1 docker build)
  push_after=$PUSH
fi

echo "docker-build: version ${GIT_TAG:+$GIT_TAG.}$GIT_COMMIT.$BUILD_EPOCH, images $IMAGE_PREFIX/<service>:$IMAGE_TAG"
for service in $SERVICES; do
  image="$IMAGE_PREFIX/$service:$IMAGE_TAG"
  echo "docker-build: building $image (target $service)"
  "${build[@]}" \
    --file deploy/Dockerfile \
    --target "$service" \
    --build-arg GIT_COMMIT="$GIT_COMMIT" \
    --build-arg GIT_TAG="$GIT_TAG" \
    --build-arg BUILD_EPOCH="$BUILD_EPOCH" \
    --tag "$image" \
    .
  if [ "$push_after" = 1 ]; then docker push "$image"; fi
done
echo "docker-build: built $(for s in $SERVICES; do printf '%s ' "$IMAGE_PREFIX/$s:$IMAGE_TAG"; done)"
