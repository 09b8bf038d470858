#!/usr/bin/env bash
# Builds the worker image without a container registry (only the npm registry, for package metadata
# pnpm's store does not hold yet):
#   1. unless NODE_IMAGE is given and present, imports a base image from the host's own Node
#      (node + the libraries it links + busybox-static for /bin/sh) as baaaht/node-base:host;
#   2. builds the app on the host (pnpm build, pnpm deploy --prod) into a staging directory;
#   3. docker build --target prebuilt with that directory as the context.
# Usage: apps/worker/scripts/build-image.sh [TAG]   (default baaaht/worker:dev)
# Env:   NODE_IMAGE=node:20-bookworm-slim to use a registry image you already have.
set -euo pipefail

tag="${1:-baaaht/worker:dev}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
base_tag=baaaht/node-base:host

die() { echo "build-image: $*" >&2; exit 1; }
command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd first)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 1. base image -----------------------------------------------------------
node_image="${NODE_IMAGE:-}"
if [ -n "$node_image" ] && docker image inspect "$node_image" >/dev/null 2>&1; then
  echo "base: $node_image (present)"
else
  [ -n "$node_image" ] && echo "base: $node_image is not present locally; importing one from the host's Node"
  node_bin="$(readlink -f "$(command -v node)")" || die "node not found"
  busybox_bin="$(command -v busybox || true)"
  [ -n "$busybox_bin" ] || die "busybox not found: apt-get install -y busybox-static"
  if ldd "$busybox_bin" >/dev/null 2>&1; then die "$busybox_bin is dynamically linked; install Debian's busybox-static"; fi
  libs="$(ldd "$node_bin" | awk '/=> \// { print $3 } /^\s*\/.*ld-linux/ { print $1 }' | sort -u)"
  # shellcheck disable=SC2086
  hash="$(cat "$node_bin" "$busybox_bin" $libs "$0" | sha256sum | cut -c1-16)"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "org.baaaht.input-hash" }}' "$base_tag" 2>/dev/null || true)" = "$hash" ]; then
    echo "base: $base_tag (up to date)"
  else
    root="$work/rootfs"
    mkdir -p "$root/usr/local/bin" "$root/bin" "$root/etc" "$root/tmp" "$root/home" "$root/run"
    chmod 1777 "$root/tmp"
    cp "$node_bin" "$root/usr/local/bin/node"
    for lib in $libs; do mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; done
    if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
      mkdir -p "$root/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
    fi
    cp "$busybox_bin" "$root/bin/busybox"
    for applet in $("$busybox_bin" --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
      mkdir -p "$root/etc/ssl/certs" && cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    fi
    tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
    docker import \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
      --change "LABEL org.baaaht.input-hash=$hash" \
      --change 'CMD ["node"]' \
      "$work/rootfs.tar" "$base_tag" >/dev/null
    rm -f "$work/rootfs.tar"
    echo "base: built $base_tag from $node_bin ($("$node_bin" --version))"
  fi
  node_image="$base_tag"
fi

# --- 2. the app, built on the host --------------------------------------------
echo "app: pnpm build + deploy --prod"
(cd "$repo" && pnpm --filter '@baaaht/worker...' build >/dev/null)
mkdir -p "$work/context"
# --prefer-offline, not --offline: a legacy deploy re-resolves versions and needs registry metadata that a
# fresh machine's cache lacks (packages themselves come from the store).
(cd "$repo" && pnpm --filter @baaaht/worker deploy --prod --legacy --prefer-offline "$work/context/deploy" >/dev/null)
cp "$here/Dockerfile" "$work/context/Dockerfile"

# --- 3. the image ----------------------------------------------------------------
docker build --target prebuilt --build-arg "NODE_IMAGE=$node_image" \
  --build-arg "DOCKER_GID=$(stat -c %g /var/run/docker.sock 2>/dev/null || echo 999)" \
  -t "$tag" "$work/context"
echo "built $tag (base $node_image)"
