#!/usr/bin/env bash
# The offline base image for podman builds on machines without an image registry: a minimal
# Debian rootfs made by debootstrap from the machine's Debian mirror, with what deploy/Dockerfile's
# `rootfs` stage takes from its base (glibc, ca-certificates, busybox-static, binutils' strip),
# imported as localhost/blockid-base:<release>-<hash of the package list>. Cached: the rootfs
# tarball in $DOCKER_CACHE, the image in podman's storage; a second call is a no-op (REFRESH=1
# makes both again).
#
#   scripts/docker-base.sh            # prints the image name
#
#   DEBIAN_RELEASE  default: this machine's release (prebuilt binaries link its glibc)
#   DEBIAN_MIRROR   default: http://deb.debian.org/debian
#
# Needs root (debootstrap) the first time; the image's packages are the mirror's of that day.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-lib.sh

DEBIAN_RELEASE=${DEBIAN_RELEASE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=busybox-static,ca-certificates,binutils
# The tag names the package list: changing it makes a new base instead of reusing the old one.
ID=$DEBIAN_RELEASE-$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-8)
IMAGE=localhost/blockid-base:$ID
TARBALL=$DOCKER_CACHE/rootfs-$ID.tar

podman_conf
if [ "${REFRESH:-0}" = 1 ]; then
  rm -f "$TARBALL"
  pm image rm -f "$IMAGE" >/dev/null 2>&1 || true
fi
if pm image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi

if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || { echo "docker-base: debootstrap is not installed (scripts/docker-install.sh)" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "docker-base: debootstrap needs root" >&2; exit 1; }
  mkdir -p "$DOCKER_CACHE"
  root=$(mktemp -d "$DOCKER_CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "docker-base: debootstrap $DEBIAN_RELEASE (minbase + $PACKAGES) from $DEBIAN_MIRROR" >&2
  start=$(now_ms)
  debootstrap --variant=minbase --include="$PACKAGES" "$DEBIAN_RELEASE" "$root" "$DEBIAN_MIRROR" \
    > "$DOCKER_CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$DOCKER_CACHE/debootstrap.log" >&2; echo "docker-base: debootstrap failed" >&2; exit 1; }
  # What debian:<release>-slim leaves out too: package caches, documentation, man pages.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
         "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
  tar --numeric-owner -C "$root" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  echo "docker-base: rootfs in $(( ($(now_ms) - start) / 1000 )) s, $(du -h "$TARBALL" | cut -f1) tarball" >&2
fi

pm import --quiet --change 'CMD ["/bin/bash"]' \
  --message "debootstrap $DEBIAN_RELEASE minbase + $PACKAGES (scripts/docker-base.sh)" \
  "$TARBALL" "$IMAGE" >/dev/null
echo "$IMAGE"
