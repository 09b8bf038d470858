// Limits mean the same thing under every runtime (issue 17, item 2): the tool's processes get exactly their
// pids limit under runc (the cgroup) and under gVisor (RLIMIT_NPROC in the sandbox, the cgroup holding
// gVisor's own budget besides), a fork past it fails the fork and not the sandbox, and fresh, pooled and
// session containers all get the runtime's limits. CI runs this file under runc and again under runsc
// (BAAAHT_TEST_RUNTIME=runsc, BAAAHT_REQUIRE_RUNSC=1).
import { execFileSync } from 'node:child_process';
import { RecordingMeter } from '@baaaht/test-utils';
import type { Executor } from './executor';
import { POOL_METRICS } from './pool-metrics';
import { runtimeLimits } from './runtime-profile';
import { SANDBOX_AGENT_PROCESSES } from './sandbox-agent-path';
import type { TaskRequest } from './task-types';
import {
  hostileTool,
  openTestExecutor,
  testRuntime,
  testWorkerId,
  until,
  waitingPoolContainers,
  workerContainers,
} from './test-support/integration';

jest.setTimeout(120_000);

const runtime = testRuntime();
const opened: Array<{ ex: Executor; workerId: string }> = [];

async function open(name: string, options: Parameters<typeof openTestExecutor>[1] = {}): Promise<Executor> {
  const workerId = testWorkerId(`limits-${name}`);
  const ex = await openTestExecutor(workerId, { pool: { enabled: false }, ...options });
  opened.push({ ex, workerId });
  return ex;
}

afterAll(async () => {
  for (const { ex, workerId } of opened.splice(0)) {
    await ex.close();
    expect(workerContainers(workerId)).toEqual([]);
  }
});

const hostile = (params: Record<string, unknown>, pidsLimit: number): TaskRequest => ({
  tool: 'hostile',
  params,
  limits: { pidsLimit },
  timeoutMs: 20_000,
});

/** What the engine was given for a container: the fields the runtime decides. */
function engineLimits(id: string): { Runtime: string; PidsLimit: number; Memory: number; Ulimits: unknown } {
  const out = execFileSync('docker', ['inspect', '--format', '{{json .HostConfig}}', id], { encoding: 'utf8' });
  const h = JSON.parse(out) as { Runtime: string; PidsLimit: number; Memory: number; Ulimits: unknown };
  return { Runtime: h.Runtime, PidsLimit: h.PidsLimit, Memory: h.Memory, Ulimits: h.Ulimits ?? null };
}

/**
 * What the engine must have been given for the hostile tool at `pidsLimit`, under the runtime under test,
 * in a pooled or session container (the in-sandbox agent's process on top).
 */
function expectedLimits(pidsLimit: number): ReturnType<typeof engineLimits> {
  const l = runtimeLimits(runtime, {
    pidsLimit: pidsLimit + SANDBOX_AGENT_PROCESSES,
    memoryBytes: hostileTool.resources.memoryBytes,
  });
  return {
    Runtime: runtime,
    PidsLimit: l.cgroupPidsLimit,
    Memory: l.cgroupMemoryBytes,
    Ulimits: l.nproc === undefined ? null : [{ Name: 'nproc', Soft: l.nproc, Hard: l.nproc }],
  };
}

it('the runtime under test is registered with the engine (and runsc too, when CI requires it)', () => {
  const runtimes = Object.keys(
    JSON.parse(execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' })) as object,
  );
  expect(runtimes).toContain(runtime);
  if (process.env['BAAAHT_REQUIRE_RUNSC'] === '1') expect(runtimes).toContain('runsc');
});

describe.each([10, 16])('with a pids limit of %i', (limit) => {
  let ex: Executor;
  beforeAll(async () => {
    ex = await open(`n${limit}`);
  });

  it('a tool needing all of it runs (init, sh and limit - 2 processes)', async () => {
    const r = await ex.executeTask(hostile({ case: 'spawn', count: limit - 2 }, limit));
    expect(r).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual([`started ${limit - 2}`, 'all started']);
  });

  it('one process more fails that fork, as EAGAIN in the tool, not as a dead sandbox', async () => {
    const r = await ex.executeTask(hostile({ case: 'spawn', count: limit - 1 }, limit));
    expect(r.status).toBe('failed');
    expect(r.stdout.trim().split('\n').pop()).toBe(`started ${limit - 2}`);
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  it('a process flood is held at exactly the limit', async () => {
    const r = await ex.executeTask(hostile({ case: 'fill' }, limit));
    expect(r).toMatchObject({ status: 'completed', stdout: `processes ${limit - 1}\n` });
  });

  it('a fork bomb is held by the limit and the tool still reports', async () => {
    const r = await ex.executeTask(hostile({ case: 'forkbomb-count' }, limit));
    expect(r.status).toBe('completed');
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    const held = Number(/^processes (\d+)$/m.exec(r.stdout)?.[1]);
    expect(held).toBeGreaterThanOrEqual(2);
    expect(held).toBeLessThanOrEqual(limit);
  });
});

it('a pooled container gets the runtime and its limits, and serves the next call of its key in full', async () => {
  const meter = new RecordingMeter();
  const workerId = testWorkerId('limits-pool');
  const ex = await openTestExecutor(workerId, { metrics: meter, pool: { enabled: true, perKey: 1 } });
  opened.push({ ex, workerId });
  const first = await ex.executeTask(hostile({ case: 'spawn', count: 8 }, 10));
  expect(first).toMatchObject({ status: 'completed' });
  await until(() => (meter.last(POOL_METRICS.containers, { state: 'ready' }) ?? 0) >= 1, 'a pooled container');
  const [pooled] = waitingPoolContainers(workerId);
  expect(pooled).toBeDefined();
  expect(engineLimits(pooled as string)).toEqual(expectedLimits(10));
  // The whole limit, as in a fresh container: the agent's own process is on top of it.
  const second = await ex.executeTask(hostile({ case: 'spawn', count: 8 }, 10));
  expect(second).toMatchObject({ status: 'completed' });
  expect(second.stdout).toContain('all started');
  expect(second.containerId?.startsWith(pooled as string)).toBe(true);
});

it('a call starts with its stdio only, fresh, pooled and in a session (also where close_range is missing)', async () => {
  const meter = new RecordingMeter();
  const workerId = testWorkerId('limits-fds');
  const ex = await openTestExecutor(workerId, { metrics: meter, pool: { enabled: true }, sessions: { enabled: true } });
  opened.push({ ex, workerId });
  const fds = { tool: 'hostile', params: { case: 'fds' } } as const;
  // The first call of the key runs in a fresh container and primes the pool for the second.
  const fresh = await ex.executeTask(fds);
  await until(() => (meter.last(POOL_METRICS.containers, { state: 'ready' }) ?? 0) >= 1, 'a pooled container');
  const pooled = await ex.executeTask(fds);
  const session = await ex.executeTask({ ...fds, sessionId: 'fds' });
  for (const r of [fresh, pooled, session]) expect(r).toMatchObject({ status: 'completed', stdout: '0\n1\n2\n3\n' });
  expect(new Set([fresh.containerId, pooled.containerId, session.containerId]).size).toBe(3);
  expect(await ex.closeSession('fds')).toBe(true);
});

it('a session container gets the runtime and its limits, the whole limit shared by its calls', async () => {
  const ex = await open('session', { sessions: { enabled: true } });
  const call = (count: number) => ex.executeTask({ ...hostile({ case: 'spawn', count }, 12), sessionId: 'limits' });
  const a = await call(10);
  expect(a).toMatchObject({ status: 'completed' });
  expect(a.stdout).toContain('all started');
  expect(engineLimits(a.containerId as string)).toEqual(expectedLimits(12));
  // Its sleeps outlived the call, in the session's container: they hold the limit for the next call.
  const b = await call(1);
  expect(b).toMatchObject({ status: 'failed', containerId: a.containerId });
  expect(b.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  expect(await ex.closeSession('limits')).toBe(true);
});

it('a fresh container gets the runtime and its limits', async () => {
  const ex = await open('fresh');
  let id: string | undefined;
  const running = ex.executeTask({
    ...hostile({ case: 'sleep' }, 10),
    taskId: 'fresh-limits',
    onEvent: (e) =>
      void (
        e.type === 'stdout' && (id = ex.liveTasks().find((t) => t.taskId === 'fresh-limits')?.containerId ?? undefined)
      ),
  });
  await until(() => id !== undefined, 'the tool to print');
  const l = runtimeLimits(runtime, { pidsLimit: 10, memoryBytes: hostileTool.resources.memoryBytes });
  expect(engineLimits(id as string)).toEqual({
    Runtime: runtime,
    PidsLimit: l.cgroupPidsLimit,
    Memory: l.cgroupMemoryBytes,
    Ulimits: l.nproc === undefined ? null : [{ Name: 'nproc', Soft: 10, Hard: 10 }],
  });
  ex.cancelTask('fresh-limits', { force: true });
  expect((await running).status).toBe('cancelled');
});

it('the memory limit is still a limit: a memory hog is reported as oom', async () => {
  const ex = await open('memory');
  const r = await ex.executeTask({ tool: 'hostile', params: { case: 'memhog' }, timeoutMs: 60_000 });
  expect(r).toMatchObject({ status: 'oom', error: { code: 'OOM' } });
});
