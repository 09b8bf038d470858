#!/usr/bin/env bash
# Builds the tool images from this host's own binaries with `docker import`,
# so the whole tool set runs where no container registry is reachable (CI,
# air-gapped hosts). Real deployments keep the catalog defaults
# (alpine:3.19, curlimages/curl:8.6.0); point the worker at these with
#   --tool-image 'file_read=baaaht/tools-busybox:offline' ... or in tests the
#   executor's imageOverrides.
#
#   baaaht/tools-busybox:offline  Debian busybox-static + applet links (file tools)
#   baaaht/tools-web:offline      curl, the shared libraries it links, CA bundle, and busybox (web
#                                 tools: like curlimages/curl, they pipe curl through `head -c` in a
#                                 constant sh script, so a byte limit holds whatever the server sends)
#
# Needs: docker (engine reachable), busybox-static, curl.
# On Debian: apt-get install -y busybox-static curl
# Usage: scripts/build-offline-images.sh [--force]
set -euo pipefail

BUSYBOX_IMAGE="${BAAAHT_BUSYBOX_IMAGE:-baaaht/tools-busybox:offline}"
CURL_IMAGE="${BAAAHT_CURL_IMAGE:-baaaht/tools-web:offline}"
force=0
[ "${1:-}" = "--force" ] && force=1

die() { echo "build-offline-images: $*" >&2; exit 1; }
command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd first)"

busybox_bin="$(command -v busybox || true)"
[ -n "$busybox_bin" ] || die "busybox not found: apt-get install -y busybox-static"
if ldd "$busybox_bin" >/dev/null 2>&1; then
  die "$busybox_bin is dynamically linked; install Debian's busybox-static"
fi
curl_bin="$(command -v curl || true)"
[ -n "$curl_bin" ] || die "curl not found: apt-get install -y curl"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Content hash of the inputs, stored as a label, so an unchanged image is reused.
input_hash() { cat "$@" | sha256sum | cut -c1-16; }

image_label() { docker image inspect -f '{{ index .Config.Labels "org.baaaht.input-hash" }}' "$1" 2>/dev/null || true; }

common_files() {
  local root="$1"
  mkdir -p "$root/tmp" "$root/workspace" "$root/etc" "$root/run/baaaht"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

import_rootfs() {
  local root="$1" image="$2" hash="$3"
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
  docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
    --change "LABEL org.baaaht.input-hash=$hash org.baaaht.offline-image=true" \
    --change 'WORKDIR /workspace' \
    "$work/rootfs.tar" "$image" >/dev/null
  rm -f "$work/rootfs.tar"
  echo "built $image"
}

# --- busybox image ---------------------------------------------------------
hash="$(input_hash "$busybox_bin" "$0")"
if [ $force = 0 ] && [ "$(image_label "$BUSYBOX_IMAGE")" = "$hash" ]; then
  echo "up to date: $BUSYBOX_IMAGE"
else
  root="$work/busybox"
  mkdir -p "$root/bin"
  common_files "$root"
  cp "$busybox_bin" "$root/bin/busybox"
  for applet in $("$busybox_bin" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  import_rootfs "$root" "$BUSYBOX_IMAGE" "$hash"
fi

# --- web image (curl + busybox) ------------------------------------------------------------
libs="$(ldd "$curl_bin" | awk '/=> \// { print $3 } /^\s*\/.*ld-linux/ { print $1 }' | sort -u)"
ca=/etc/ssl/certs/ca-certificates.crt
# shellcheck disable=SC2086
hash="$(input_hash "$curl_bin" $libs "$busybox_bin" "$0" $( [ -f $ca ] && echo $ca ))"
if [ $force = 0 ] && [ "$(image_label "$CURL_IMAGE")" = "$hash" ]; then
  echo "up to date: $CURL_IMAGE"
else
  root="$work/curl"
  mkdir -p "$root/usr/bin" "$root/bin"
  common_files "$root"
  cp "$curl_bin" "$root/usr/bin/curl"
  cp "$busybox_bin" "$root/bin/busybox"
  for applet in $("$busybox_bin" --list); do
    [ "$applet" = busybox ] || [ "$applet" = curl ] || ln -sf busybox "$root/bin/$applet"
  done
  for lib in $libs; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  # The loader is also looked up through the /lib64 compatibility path.
  if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
    mkdir -p "$root/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  fi
  if [ -f "$ca" ]; then
    mkdir -p "$root/etc/ssl/certs" && cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
  fi
  import_rootfs "$root" "$CURL_IMAGE" "$hash"
fi
