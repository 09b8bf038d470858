#!/usr/bin/env bash
# Runs the README's test command N times (default 2) on a machine that is busy the way a shared
# one is: `pnpm demo` loops beside it (its own orchestrator and worker, all eight tools) and an
# unrelated container runs throughout. Afterwards it checks what a neighbour would care about:
# the host's dockerd kept its pid, the unrelated container still runs, no container of this
# script's runs is left, and nothing of the runs is left in $TMPDIR.
#
#   bash scripts/shared-machine-check.sh [runs]      # logs under $LOG_DIR (default /tmp/baaaht-shared-check)
#
# Needs the build and the offline images (`pnpm build`, `pnpm images:offline`), as `pnpm test` does.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-2}"
log_dir="${LOG_DIR:-/tmp/baaaht-shared-check}"
mkdir -p "$log_dir"
summary="$log_dir/summary.txt"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

marker="$log_dir/started"
touch "$marker"
dockerd_pid_before=$(pgrep -xo dockerd || true)
unrelated=$(docker run -d --label unrelated=1 --network none baaaht/tools-busybox:offline sleep 7200)
say "unrelated container ${unrelated:0:12}; host dockerd pid ${dockerd_pid_before:-none}"

stop_file="$log_dir/stop-demo"
rm -f "$stop_file"
(
  n=0 ok=0
  while [ ! -e "$stop_file" ]; do
    n=$((n + 1))
    if pnpm demo >"$log_dir/demo-last.log" 2>&1; then ok=$((ok + 1)); else cp "$log_dir/demo-last.log" "$log_dir/demo-failed-$n.log"; fi
    echo "$n $ok" >"$log_dir/demo-count"
  done
) &
demo_loop=$!

status=0
run_ids=()
for i in $(seq 1 "$runs"); do
  t0=$(date +%s)
  run_id="sm$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')$i"
  run_ids+=("$run_id")
  BAAAHT_TEST_RUN_ID="$run_id" pnpm test >"$log_dir/test-$i.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || status=1
  say "pnpm test run $i: exit $rc in $(($(date +%s) - t0)) s; $(grep -E '^tests: ' "$log_dir/test-$i.log" | tail -1)"
done

touch "$stop_file"
wait "$demo_loop"
read -r demos demos_ok <"$log_dir/demo-count" || true
say "pnpm demo beside them: ${demos_ok:-0} of ${demos:-0} completed"
[ "${demos:-0}" -gt 0 ] && [ "${demos_ok:-0}" = "${demos:-0}" ] || status=1

dockerd_pid_after=$(pgrep -xo dockerd || true)
say "host dockerd pid after: ${dockerd_pid_after:-none}"
[ "$dockerd_pid_before" = "$dockerd_pid_after" ] || status=1
running=$(docker inspect -f '{{.State.Running}}' "$unrelated" 2>/dev/null || echo gone)
say "unrelated container running: $running"
[ "$running" = true ] || status=1
docker rm -f "$unrelated" >/dev/null

# Nothing else was meant to use this engine while the script ran: every managed container is ours.
sleep 5
left=$(docker ps -aq --filter label=org.baaaht.managed | wc -l)
say "org.baaaht.managed containers left: $left"
[ "$left" -eq 0 ] || status=1
# What the runs and the demos make in the temp dir: the runs' own TMPDIRs (named by run id), jest's
# result files, the demos' workspaces and sockets, the private engine, CLI homes. Other users' and
# other suites' entries (another worker's tests on the same machine) are not counted.
patterns=(-name 'baaaht-jest-*' -o -name 'baaaht-demo-*' -o -name 'baaaht-engine-*' -o -name 'baaaht-home-*')
for id in "${run_ids[@]}"; do patterns+=(-o -name "baaaht-test-$id-*"); done
tmp_left=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -newer "$marker" \( "${patterns[@]}" \) | wc -l)
say "entries of these runs and demos left in ${TMPDIR:-/tmp}: $tmp_left"
find "${TMPDIR:-/tmp}" -maxdepth 1 -newer "$marker" \( "${patterns[@]}" \) | head -5
[ "$tmp_left" -eq 0 ] || status=1
say "result: $([ $status -eq 0 ] && echo pass || echo FAIL)"
exit $status
