import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { containersWithLabel, OFFLINE_BUSYBOX_IMAGE, offlineToolImages, runScopedName } from '@baaaht/test-utils';
import { builtinEgressCheck } from '../egress-rules';
import { createExecutor } from '../executor';
import type { Executor } from '../executor';
import type { ExecutorOptions } from '../executor-options';
import { LABELS } from '../labels';
import type { EgressRequest, PolicyEnforcer } from '../policy-enforcer';

export const MiB = 1024 * 1024;

/** Constant scripts for hostile cases; data (a port) travels in the environment, never in the script. */
export const HOSTILE_SCRIPTS = {
  forkbomb: 'b() { b | b & }; b; sleep 60',
  memhog: 'x=0123456789abcdef; while :; do x="$x$x"; done',
  loop: 'while :; do :; done',
  flood: 'head -c 52428800 /dev/zero',
  sleep: 'echo sleeping; exec sleep 60',
  /** 6000 bytes of `x` and a newline on stdout, a line on stderr, then blocks. */
  'chatty-sleep': "head -c 6000 /dev/zero | tr '\\0' x; echo; echo to-stderr >&2; exec sleep 60",
  /** Prints its last line in the SIGTERM handler, while the executor is already stopping it. */
  'last-words': "trap 'echo last words; exit 143' TERM; echo sleeping; sleep 60 & wait $!",
  'sleep-ignoring-term': "trap '' TERM; echo sleeping; sleep 60; echo woke",
  /** Starts $COUNT background sleeps, one line each, then says so: the tool needs COUNT + 2 processes (init, sh). */
  spawn: 'for i in $(seq 1 "$COUNT"); do sleep 60 & echo "started $i"; done; echo all started',
  /**
   * A subshell starts sleeps until a fork fails (which ends it), then the shell counts the live processes
   * with builtins only (a glob, no fork): with a limit of N that is N - 1 (init, sh and N - 3 sleeps).
   */
  fill: '(while :; do sleep 60 & done) 2>/dev/null; set -- /proc/[0-9]*; echo "processes $#"',
  /** The descriptors the tool was started with (`ls` adds its own directory, 3). */
  fds: 'ls /proc/self/fd',
  /** The fork bomb, then the same count: what the limit held it to (it may have collapsed by then). */
  'forkbomb-count':
    'b() { b | b & }; (b) & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; set -- /proc/[0-9]*; echo "processes $#"',
  net: 'ls /sys/class/net; if nc -w 2 127.0.0.1 "$PORT" </dev/null; then echo NC_CONNECTED; else echo NC_FAILED; fi; if wget -q -T 2 -O - "http://127.0.0.1:$PORT/"; then echo WGET_OK; else echo WGET_FAILED; fi',
} as const;

export type HostileCase = keyof typeof HOSTILE_SCRIPTS;

/** A test-only tool registered through the catalog: `sh -c` with one of the constant scripts above. */
export const hostileTool: ToolSpec<{ case: HostileCase; port?: number; count?: number }> = {
  name: 'hostile',
  displayName: 'Hostile test tool',
  description: 'Test only: runs one of a fixed set of misbehaving shell scripts.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: {
      case: { type: 'string', enum: Object.keys(HOSTILE_SCRIPTS) },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      count: { type: 'integer', minimum: 1, maximum: 200 },
    },
    required: ['case'],
    additionalProperties: false,
  },
  image: OFFLINE_BUSYBOX_IMAGE,
  workspace: 'none',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 0.5, memoryBytes: 32 * MiB, pidsLimit: 16 },
  timeoutMs: 20_000,
  command: (p) => ({
    argv: ['sh', '-c', HOSTILE_SCRIPTS[p.case]],
    env: { PORT: String(p.port ?? 9), COUNT: String(p.count ?? 1) },
  }),
};

/**
 * A test-only multi-step tool: step one prints and exits, step two prints and blocks. What a stopped task
 * reports is the output of the step that was running (a `run()` tool's earlier steps feed the tool, they
 * are not its output).
 */
export const stepsTool: ToolSpec<Record<string, never>> = {
  image: OFFLINE_BUSYBOX_IMAGE,
  workspace: 'none',
  network: 'none',
  readOnlyRootfs: true,
  resources: hostileTool.resources,
  timeoutMs: 20_000,
  version: '1.0.0',
  name: 'steps',
  displayName: 'Multi-step test tool',
  description: 'Test only: two commands, the second blocks.',
  parameters: { type: 'object', properties: {}, additionalProperties: false },
  command: () => ({ argv: ['sh', '-c', 'echo step one'] }),
  async run(_params, _ctx, exec) {
    await exec({ argv: ['sh', '-c', 'echo step one'] });
    return exec({ argv: ['sh', '-c', 'echo step two; exec sleep 60'] });
  },
};

export { captureLogger } from './capture-logger';
export type { LogEntry } from './capture-logger';

/**
 * A unique worker id per test file, so parallel suites never reap each other's containers; it carries the
 * run id (`runScopedName`), so the run's leak checks count its containers.
 */
export function testWorkerId(name: string): string {
  return `${runScopedName(`it-${name}`)}-${randomBytes(3).toString('hex')}`;
}

export function workerContainers(workerId: string): string[] {
  return containersWithLabel(`${LABELS.workerId}=${workerId}`);
}

/**
 * The executor's warm-pool containers still waiting for a call (`org.baaaht.pool=1`, running or created and
 * about to start: `idle()` does not wait for the next call's container to be up): by design they outlive
 * `idle()` and go at `close()` (or after the pool's idle timeout).
 */
export function waitingPoolContainers(workerId: string, dockerHost?: string): string[] {
  const host = dockerHost === undefined ? [] : ['--host', dockerHost];
  const filters = ['--filter', `label=${LABELS.workerId}=${workerId}`, '--filter', `label=${LABELS.pool}=1`];
  const states = ['--filter', 'status=running', '--filter', 'status=created'];
  return execFileSync('docker', [...host, 'ps', '-q', ...filters, ...states], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/**
 * The OCI runtime integration tests run their executors under: `BAAAHT_TEST_RUNTIME` (CI runs the tool,
 * egress and hostile suites a second time with `runsc`), default `runc`. An engine without it fails the
 * suite at `openTestExecutor` (RUNTIME_UNAVAILABLE), never skips it.
 */
export function testRuntime(env: NodeJS.ProcessEnv = process.env): string {
  return env['BAAAHT_TEST_RUNTIME'] || 'runc';
}

export function openTestExecutor(workerId: string, options: ExecutorOptions = {}): Promise<Executor> {
  return createExecutor({
    workerId,
    runtime: testRuntime(),
    reapIntervalMs: 0,
    imageOverrides: { ...offlineToolImages(), hostile: OFFLINE_BUSYBOX_IMAGE, steps: OFFLINE_BUSYBOX_IMAGE },
    catalog: createToolCatalog({ custom: [hostileTool, stepsTool] }),
    pullPolicy: 'never',
    ...options,
  });
}

/** A fake policy: allows loopback (the test servers) and otherwise applies the built-in rules. */
export const loopbackPolicy: PolicyEnforcer = {
  enforce: (req) => req,
  checkEgress(req: EgressRequest) {
    const target = req.address ?? req.host;
    if (target === '127.0.0.1') return { allowed: true, rule: 'test.allow_loopback', reason: 'test server' };
    return builtinEgressCheck(req);
  },
};

/** Polls `cond` every 50 ms for up to 30 s. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
