#!/usr/bin/env bash
# Builds the worker image (scripts/build-image.sh, no network needed) and smoke-tests it:
# `--version`, `tools --json` (parsed), and `doctor` through the mounted Docker socket.
# Usage: apps/worker/scripts/test-image.sh [TAG]
set -euo pipefail
tag="${1:-baaaht/worker:test}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bash "$here/build-image.sh" "$tag"

fail() { echo "test-image: $*" >&2; exit 1; }
run() { docker run --rm --init --label org.baaaht.managed=true --label org.baaaht.image-test=true "$@"; }

version="$(run "$tag" --version)"
[[ "$version" =~ ^worker\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "unexpected --version output: $version"
echo "ok: $version"

run "$tag" tools --json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const tools = JSON.parse(s);
    const names = tools.map((t) => t.name);
    for (const need of ["file_read", "file_write", "file_edit", "grep", "find", "list", "web_search", "fetch_url"])
      if (!names.includes(need)) { console.error("tools --json misses " + need); process.exit(1); }
    console.log("ok: tools --json lists " + names.length + " tools");
  });'

uid="$(run --entrypoint /bin/sh "$tag" -c 'id -u' 2>/dev/null || true)"
[ -n "$uid" ] && [ "$uid" != 0 ] || fail "the image runs as root (uid '$uid')"
echo "ok: runs as uid $uid"

# doctor reaches the host engine through the socket (exit 1 is fine: no orchestrator listens here).
sock_gid="$(stat -c %g /var/run/docker.sock)"
out="$(run -v /var/run/docker.sock:/var/run/docker.sock --group-add "$sock_gid" "$tag" doctor || true)"
grep -q '^✓ docker: engine' <<<"$out" || fail "doctor inside the image cannot reach Docker: $out"
echo "ok: doctor reaches the Docker engine from inside the image"
