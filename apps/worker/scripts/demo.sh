#!/usr/bin/env bash
# One-command demo: builds, prepares the offline tool images, starts a dev orchestrator and a worker on a
# temporary unix socket, and runs one task of every tool through `orchestrator exec`. Web tools talk to a
# small server on 127.0.0.1 (a page and a fake SearXNG), allowed by a demo policy. Cleans up on exit.
# Usage: apps/worker/scripts/demo.sh   (the main engineer wires it as `pnpm demo`)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$repo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build"
pnpm --filter '@baaaht/worker...' build >/dev/null
step "offline tool images"
bash scripts/build-offline-images.sh

dir="$(mktemp -d /tmp/baaaht-demo-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

ws="$dir/workspace"
mkdir -p "$ws/src"
printf 'hello from the demo workspace\nTODO: try every tool\n' >"$ws/notes.txt"
printf 'export const answer = 42; // TODO document\n' >"$ws/src/main.ts"
# Tools run as the workspace's owner, never root.
chown -R 1000:1000 "$ws" 2>/dev/null || true

port_file="$dir/web.port"
node -e '
  const http = require("node:http");
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/search") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ results: [{ title: "baaaht demo", url: "https://example.org/demo", content: "a fake SearXNG result" }] }));
    } else res.end("a page served on 127.0.0.1 for the demo\n");
  });
  server.listen(0, "127.0.0.1", () => require("node:fs").writeFileSync(process.argv[1], String(server.address().port)));
' "$port_file" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port="$(cat "$port_file")"

cat >"$dir/policy.yaml" <<POLICY
id: demo
mode: strict
mounts:
  allow_bind_mounts: true
  mount_allowlist:
    - path: "$ws"
      mode: readwrite
network:
  allow_network: true
  allow_private: true
  allowed_networks: ["127.0.0.0/8"]
  allowed_ports: [$port]
POLICY

addr="unix://$dir/grpc.sock"
step "orchestrator serve --listen $addr"
./bin/orchestrator serve --listen "$addr" --log-level warn &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done

step "worker --orchestrator-addr $addr"
./bin/worker --orchestrator-addr "$addr" --name demo-worker --policy "$dir/policy.yaml" \
  --tool-image '*=baaaht/tools-busybox:offline' --tool-image fetch_url=baaaht/tools-curl:offline \
  --tool-image web_search=baaaht/tools-curl:offline --search-backend-url "http://127.0.0.1:$port" \
  --log-output "$dir/worker.log" &
pids+=($!)
for _ in $(seq 1 100); do ./bin/orchestrator workers --addr "$addr" 2>/dev/null | grep -q demo-worker && break; sleep 0.2; done
./bin/orchestrator workers --addr "$addr"

run() {
  step "orchestrator exec $*"
  ./bin/orchestrator exec "$@" --addr "$addr"
}
run file_read --mount "$ws" --param path=notes.txt
run file_write --mount "$ws" --param path=out/hello.txt --param 'content=written by the demo'
run file_edit --mount "$ws" --param path=out/hello.txt --param old_string=demo --param new_string='baaaht demo'
run grep --mount "$ws" --param pattern=TODO
run find --mount "$ws" --param 'name=*.ts'
run list --mount "$ws" --param recursive=true
run fetch_url --param "url=http://127.0.0.1:$port/page"
run web_search --param 'query=baaaht' --json

step "done: every tool ran in its own container (worker log: $dir/worker.log, removed on exit)"
