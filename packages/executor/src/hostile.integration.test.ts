import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Executor } from './executor';
import type { TaskEvent } from './task-types';
import { MiB, openTestExecutor, testWorkerId, until, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const workerId = testWorkerId('hostile');
let ex: Executor;

beforeAll(async () => {
  ex = await openTestExecutor(workerId, { maxConcurrentTasks: 2, gracePeriodMs: 3000 });
});

afterAll(async () => {
  await ex.close();
  expect(workerContainers(workerId)).toEqual([]);
});

it('a fork bomb is held by the pid limit; the result is bounded and the container is gone', async () => {
  const r = await ex.executeTask({ tool: 'hostile', params: { case: 'forkbomb' }, timeoutMs: 5000 });
  expect(['failed', 'timeout']).toContain(r.status);
  // The shell saw fork() fail: the pid limit, not the timeout, is what held the bomb.
  expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/i);
  // The warm pool keeps a container waiting for the next call of this key: drop it, then count.
  ex.invalidatePool('test: count containers');
  await ex.idle();
  expect(workerContainers(workerId)).toEqual([]);
});

it('a memory hog is reported as oom', async () => {
  const r = await ex.executeTask({ tool: 'hostile', params: { case: 'memhog' }, timeoutMs: 60_000 });
  expect(r).toMatchObject({ status: 'oom', error: { code: 'OOM' } });
});

it('an infinite loop is reported as timeout within timeout + 2 s', async () => {
  const timeoutMs = 2000;
  const r = await ex.executeTask({ tool: 'hostile', params: { case: 'loop' }, timeoutMs });
  expect(r).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' } });
  expect(r.durationMs).toBeLessThan(timeoutMs + 2000);
});

it('graceful cancel mid-run stops the tool with SIGTERM', async () => {
  const events: TaskEvent[] = [];
  const p = ex.executeTask({
    tool: 'hostile',
    params: { case: 'sleep' },
    taskId: 'cancel-graceful',
    onEvent: (e) => events.push(e),
  });
  await until(() => events.some((e) => e.type === 'stdout'), 'the tool to print');
  const cancelledAt = Date.now();
  expect(ex.cancelTask('cancel-graceful')).toBe(true);
  const r = await p;
  // SIGTERM alone ended it: well inside the 3 s grace period.
  expect(Date.now() - cancelledAt).toBeLessThan(2500);
  expect(r).toMatchObject({ status: 'cancelled', stopMode: 'graceful', error: { code: 'CANCELLED' } });
  expect(r.stdout).toBe('sleeping\n');
  expect(events[events.length - 1]).toMatchObject({ type: 'exited', status: 'cancelled' });
});

it('graceful cancel escalates to SIGKILL for a tool that ignores SIGTERM', async () => {
  const events: TaskEvent[] = [];
  const p = ex.executeTask({
    tool: 'hostile',
    params: { case: 'sleep-ignoring-term' },
    taskId: 'cancel-stubborn',
    onEvent: (e) => events.push(e),
  });
  await until(() => events.some((e) => e.type === 'stdout'), 'the tool to print');
  const cancelledAt = Date.now();
  ex.cancelTask('cancel-stubborn');
  const r = await p;
  expect(r).toMatchObject({ status: 'cancelled', stopMode: 'graceful' });
  expect(r.stdout).not.toContain('woke');
  // SIGTERM was ignored, so only the SIGKILL after the 3 s grace period ended it.
  expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(2900);
});

it('force cancel mid-run kills at once', async () => {
  const events: TaskEvent[] = [];
  const p = ex.executeTask({
    tool: 'hostile',
    params: { case: 'sleep-ignoring-term' },
    taskId: 'cancel-force',
    onEvent: (e) => events.push(e),
  });
  await until(() => events.some((e) => e.type === 'stdout'), 'the tool to print');
  const cancelledAt = Date.now();
  ex.cancelTask('cancel-force', { force: true });
  const r = await p;
  expect(r).toMatchObject({ status: 'cancelled', stopMode: 'force' });
  // Loose bound: the container must be gone long before the 3 s grace period a graceful stop would use.
  expect(Date.now() - cancelledAt).toBeLessThan(2500);
});

it('cancelling a queued task creates no container', async () => {
  const started: string[] = [];
  const onEvent = (e: TaskEvent): void => void (e.type === 'started' && started.push(e.taskId));
  const a = ex.executeTask({ tool: 'hostile', params: { case: 'sleep' }, taskId: 'busy-1', onEvent });
  const b = ex.executeTask({ tool: 'hostile', params: { case: 'sleep' }, taskId: 'busy-2', onEvent });
  const queued = ex.executeTask({ tool: 'hostile', params: { case: 'sleep' }, taskId: 'waiting', onEvent });
  await until(() => started.length === 2, 'two running tasks');
  expect(ex.taskState('waiting')).toBe('queued');
  ex.cancelTask('waiting');
  const r = await queued;
  expect(r).toMatchObject({ status: 'cancelled', containerId: null });
  ex.cancelTask('busy-1', { force: true });
  ex.cancelTask('busy-2', { force: true });
  await Promise.all([a, b]);
  expect(started).not.toContain('waiting');
});

it('50 MB of output is capped, drained, and does not grow memory', async () => {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let streamed = 0;
  // The cold path: its attach reads reuse one buffer, which is what this bound is about. A pooled call's
  // output arrives as agent frames (decoded per frame), which allocate and leave more to the GC.
  const cold = await openTestExecutor(workerId, { pool: { enabled: false } });
  const r = await cold.executeTask({
    tool: 'hostile',
    params: { case: 'flood' },
    onEvent: (e) => void (e.type === 'stdout' && (streamed += e.chunk.length)),
  });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const growthMiB = (peak - before) / MiB;
  console.log(
    `50 MiB flood: rss before ${(before / MiB).toFixed(1)} MiB, peak growth ${growthMiB.toFixed(1)} MiB, duration ${r.durationMs} ms`,
  );
  expect(r).toMatchObject({
    status: 'completed',
    truncated: true,
    stdoutDroppedBytes: 50 * MiB - 1 * MiB,
    stderrDroppedBytes: 0,
  });
  expect(r.stdout.length).toBe(1 * MiB);
  expect(streamed).toBe(1 * MiB);
  expect(growthMiB).toBeLessThan(20 + 10);
  await cold.close();
});

describe('a file tool has no network', () => {
  let server: http.Server;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.end('reachable');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('cannot connect to a host loopback server and sees only lo', async () => {
    const port = (server.address() as AddressInfo).port;
    const r = await ex.executeTask({ tool: 'hostile', params: { case: 'net', port } });
    const lines = r.stdout.trim().split('\n');
    const interfaces = lines.filter((l) => !/^(NC_|WGET_)/.test(l));
    expect(interfaces.every((i) => i === 'lo')).toBe(true);
    expect(r.stdout).toContain('NC_FAILED');
    expect(r.stdout).toContain('WGET_FAILED');
    expect(r.stdout).not.toContain('reachable');
    expect(hits).toBe(0);
  });
});
