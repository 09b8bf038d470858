/**
 * The in-container mount identity gate. The policy judges a directory the executor holds open; Docker is
 * handed its path, which the runtime resolves again when the container starts. Anyone who can rename a
 * component of that path in between (another local user, another task with the parent mounted
 * read-write) could swap in a symlink to any host directory. So before the tool runs, a constant
 * script compares the device and inode of every bind target with those of the object that was judged,
 * and only then `exec`s the tool's argv unchanged; on a mismatch the tool never starts.
 *
 * Race-free because the check runs after the mounts exist: once bound, a mount cannot be swapped by a
 * rename on the host, and the descriptor the executor holds keeps the judged inode from being reused.
 * It needs `/bin/sh` and `stat` in the image (every file tool's image has them: the tools are busybox
 * programs) and a runtime that shows host device and inode numbers (runc does; gVisor virtualises them,
 * so there the mounts are pinned by construction instead: descriptor-mounts.ts).
 */

import { isGvisorRuntime } from '@baaaht/policy';

/** One bind target and the identity it must have. */
export interface MountPin {
  /** Path inside the container, e.g. `/workspace`. */
  target: string;
  dev: number;
  ino: number;
}

/** Exit code of a failed gate: outside what busybox tools use, and not a signal (> 128 and < 160). */
export const GATE_EXIT_CODE = 213;

// Splitting on newlines only, globbing off: targets are the executor's own paths, never model input.
const GATE_SCRIPT = [
  'set -f',
  "IFS='\n'",
  'got=$(stat -c %d:%i -- $BAAAHT_PIN_PATHS 2>/dev/null) || got=unreadable',
  'if [ "$got" != "$BAAAHT_PIN_IDS" ]; then echo "baaaht-gate:$BAAAHT_GATE_NONCE" >&2; exit ' +
    String(GATE_EXIT_CODE) +
    '; fi',
  'unset BAAAHT_PIN_PATHS BAAAHT_PIN_IDS BAAAHT_GATE_NONCE IFS',
  'set +f',
  'exec "$@"',
].join('\n');

/** argv and environment that run `argv` only after the pins check out. */
export function gatedCommand(
  argv: readonly string[],
  pins: readonly MountPin[],
  nonce: string,
): { argv: string[]; env: string[] } {
  return {
    argv: ['/bin/sh', '-c', GATE_SCRIPT, 'baaaht-gate', ...argv],
    env: [
      `BAAAHT_PIN_PATHS=${pins.map((p) => p.target).join('\n')}`,
      `BAAAHT_PIN_IDS=${pins.map((p) => `${p.dev}:${p.ino}`).join('\n')}`,
      `BAAAHT_GATE_NONCE=${nonce}`,
    ],
  };
}

/**
 * True when a container's exit was the gate refusing, not the tool: the marker carries a per-task nonce
 * the tool never sees, so no tool output can forge it.
 */
export function gateRefused(exitCode: number, stderr: string, nonce: string): boolean {
  return exitCode === GATE_EXIT_CODE && stderr.includes(`baaaht-gate:${nonce}`);
}

/**
 * How a runtime's bind mounts are pinned: `gate` when the runtime shows host device/inode numbers inside
 * the container (runc and other namespace runtimes); `descriptor` for gVisor (`runsc`), whose sandbox
 * reports virtual ones, so there the mounts come from descriptors the executor holds (descriptor-mounts.ts).
 */
export function mountPinSupport(runtime: string): 'gate' | 'descriptor' {
  return isGvisorRuntime(runtime) ? 'descriptor' : 'gate';
}

/**
 * Why a workspace tool cannot run under `runtime` (MOUNT_PIN_UNAVAILABLE), or undefined when it can:
 * under gVisor, `descriptorProblem` is what the engine's descriptor-mount probe answered (undefined: it
 * mounts held descriptors).
 */
export function mountPinRefusal(
  tool: string,
  runtime: string,
  descriptorProblem: string | undefined,
): string | undefined {
  if (mountPinSupport(runtime) === 'gate' || descriptorProblem === undefined) return undefined;
  return (
    `${tool} mounts a workspace, and runtime '${runtime}' hides host inode numbers, so its mounts must come ` +
    `from descriptors the worker holds; ${descriptorProblem}. Run file tools with runc there (web tools may ` +
    'use any runtime)'
  );
}
