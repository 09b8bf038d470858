// The warm pool on the real engine (issue 15, item 1): a call of a key already seen is served by a container
// started ahead for it (one container per call), with the same results as a cold start; the pool's
// containers are labelled, dropped on invalidation, idle expiry and close, and a swapped workspace is
// never served by a container made for the directory that was judged.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createTempWorkspace, RecordingMeter } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { Executor } from './executor';
import type { ExecutorOptions } from './executor-options';
import type { PolicyEnforcer } from './policy-enforcer';
import { LABELS } from './labels';
import { POOL_METRICS } from './pool-metrics';
import type { TaskRequest, TaskResult } from './task-types';
import { openTestExecutor, testWorkerId, until, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const SECRET = 'OUTSIDE-SECRET-91c2';
const opened: Array<{ ex: Executor; workerId: string }> = [];
let ws: TempWorkspace;

async function open(
  name: string,
  options: ExecutorOptions = {},
): Promise<{ ex: Executor; meter: RecordingMeter; workerId: string }> {
  const meter = new RecordingMeter();
  const workerId = testWorkerId(`pool-${name}`);
  // The pool is opt-in: on here unless a test turns it off, with the test's own pool settings on top.
  const ex = await openTestExecutor(workerId, {
    metrics: meter,
    ...options,
    pool: { enabled: true, ...options.pool },
  });
  opened.push({ ex, workerId });
  return { ex, meter, workerId };
}

/** The worker's running pool containers (waiting for a call, or serving one). */
function waiting(workerId: string): string[] {
  const out = execFileSync(
    'docker',
    ['ps', '-q', '--filter', `label=${LABELS.workerId}=${workerId}`, '--filter', `label=${LABELS.pool}=1`],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean);
}

/** Until the pool has a container waiting for its call (its own gauge: docker also lists taken ones). */
const ready = (meter: RecordingMeter): Promise<void> =>
  until(() => (meter.last(POOL_METRICS.containers, { state: 'ready' }) ?? 0) >= 1, 'a pooled container ready');

/** What must be equal between a pooled and a cold run of the same call. */
const comparable = (r: TaskResult): Partial<TaskResult> => ({
  status: r.status,
  exitCode: r.exitCode,
  stdout: r.stdout,
  stderr: r.stderr,
  truncated: r.truncated,
  structured: r.structured,
  error: r.error,
});

beforeAll(() => {
  ws = createTempWorkspace({
    files: { 'a.txt': 'x'.repeat(1023) + '\n', 'src/main.ts': 'const x = 1; // TODO fix\n', 'b.txt': 'TODO b\n' },
    owner: OWNER,
  });
});

afterAll(async () => {
  for (const { ex, workerId } of opened.splice(0)) {
    await ex.close();
    // Nothing left behind: close removed the waiting containers too.
    expect(workerContainers(workerId)).toEqual([]);
  }
  ws.cleanup();
});

it('serves the second file_read of a workspace from a pooled container, a new one per call', async () => {
  const { ex, meter, workerId } = await open('hit');
  const read: TaskRequest = { tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir };
  const first = await ex.executeTask(read);
  expect(first.status).toBe('completed');
  await ready(meter);
  const [pooled] = waiting(workerId);
  const second = await ex.executeTask(read);
  expect(comparable(second)).toEqual(comparable(first));
  expect(meter.total(POOL_METRICS.hits, { tool: 'file_read' })).toBe(1);
  expect(second.containerId).not.toBe(first.containerId);
  expect(pooled).toBe(second.containerId?.slice(0, 12));
  await ready(meter);
  const third = await ex.executeTask(read);
  expect(meter.total(POOL_METRICS.hits, { tool: 'file_read' })).toBe(2);
  expect(new Set([first.containerId, second.containerId, third.containerId]).size).toBe(3);
});

it('gives the same results as a cold start for file_read, file_write (stdin), grep and list', async () => {
  const cold = await open('same-cold', { pool: { enabled: false } });
  const warm = await open('same-warm');
  const calls: Array<(tag: string) => TaskRequest> = [
    () => ({ tool: 'file_read', params: { path: 'a.txt', offset: 1, limit: 1 }, mountSource: ws.dir }),
    (tag) => ({
      tool: 'file_write',
      params: { path: `out-${tag}.txt`, content: 'written\nby a tool\n' },
      mountSource: ws.dir,
    }),
    () => ({ tool: 'grep', params: { pattern: 'TODO', path: '.' }, mountSource: ws.dir }),
    () => ({ tool: 'list', params: { path: '.' }, mountSource: ws.dir }),
  ];
  for (const call of calls) {
    // Twice on the warm executor: the first fills the pool for the key, the second is served by it.
    await warm.ex.executeTask(call('fill'));
    await ready(warm.meter);
    const hits = warm.meter.total(POOL_METRICS.hits);
    const w = await warm.ex.executeTask(call('same'));
    expect(warm.meter.total(POOL_METRICS.hits)).toBe(hits + 1);
    const c = await cold.ex.executeTask(call('same'));
    expect(comparable(w)).toEqual(comparable(c));
    warm.ex.invalidatePool('next tool');
    await warm.ex.idle();
  }
  expect(ws.read('out-fill.txt')).toBe('written\nby a tool\n');
  expect(fs.statSync(ws.path('out-fill.txt')).uid).toBe(OWNER.uid);
  expect(ws.read('out-same.txt')).toBe('written\nby a tool\n');
  expect(cold.meter.total(POOL_METRICS.hits)).toBe(0);
});

it('a call whose limits differ is a miss', async () => {
  const { ex, meter } = await open('limits');
  const read: TaskRequest = { tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir };
  await ex.executeTask(read);
  await ready(meter);
  const r = await ex.executeTask({ ...read, limits: { memoryBytes: 24 * 1024 * 1024 } });
  expect(r.status).toBe('completed');
  expect(meter.total(POOL_METRICS.hits)).toBe(0);
  expect(meter.total(POOL_METRICS.misses, { tool: 'file_read', reason: 'empty' })).toBe(2);
});

it('invalidation (a policy reload) removes the waiting container; the next call starts cold', async () => {
  const { ex, meter, workerId } = await open('invalidate');
  const read: TaskRequest = { tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir };
  await ex.executeTask(read);
  await ready(meter);
  expect(ex.invalidatePool('policy reloaded')).toBe(1);
  await ex.idle();
  expect(waiting(workerId)).toEqual([]);
  expect(meter.total(POOL_METRICS.discarded, { reason: 'invalidated' })).toBe(1);
  expect((await ex.executeTask(read)).status).toBe('completed');
  expect(meter.total(POOL_METRICS.hits)).toBe(0);
});

it('idle expiry removes the waiting container', async () => {
  const { ex, meter, workerId } = await open('idle', { pool: { idleMs: 1500 } });
  await ex.executeTask({ tool: 'list', params: { path: '.' }, mountSource: ws.dir });
  await ready(meter);
  await until(() => waiting(workerId).length === 0, 'the idle container to go');
  expect(meter.total(POOL_METRICS.discarded, { reason: 'idle' })).toBe(1);
  expect(workerContainers(workerId)).toEqual([]);
});

it('close() leaves no container behind', async () => {
  const { ex, meter, workerId } = await open('close');
  await ex.executeTask({ tool: 'list', params: { path: '.' }, mountSource: ws.dir });
  await ready(meter);
  await ex.close();
  expect(workerContainers(workerId)).toEqual([]);
});

it('a container killed while waiting is discarded; the call falls back and succeeds', async () => {
  const { ex, meter, workerId } = await open('killed');
  const read: TaskRequest = { tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir };
  const first = await ex.executeTask(read);
  await ready(meter);
  const [pooled] = waiting(workerId);
  execFileSync('docker', ['kill', pooled as string]);
  await until(() => meter.total(POOL_METRICS.discarded, { reason: 'died' }) === 1, 'the dead container discarded');
  const r = await ex.executeTask(read);
  expect(comparable(r)).toEqual(comparable(first));
  expect(meter.total(POOL_METRICS.hits)).toBe(0);
});

it('a workspace swapped for a symlink after its pooled container was made is never read through it', async () => {
  const root = createTempWorkspace();
  fs.chmodSync(root.dir, 0o755);
  const outside = root.path('outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'a.txt'), `${SECRET}\n`);
  fs.chownSync(outside, OWNER.uid, OWNER.gid);
  const target = root.path('ws');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'a.txt'), 'INSIDE\n');
  fs.chownSync(target, OWNER.uid, OWNER.gid);
  try {
    // The policy judges what the path names: the outside directory is never allowed.
    const policy: PolicyEnforcer = {
      enforce: (req) => {
        if (req.mounts.some((m) => m.source === outside || m.source.startsWith(`${outside}/`)))
          throw Object.assign(new Error(`mount ${outside} is denied`), { code: 'POLICY_DENIED' });
        return req;
      },
    };
    const { ex, meter, workerId } = await open('swap', { policy });
    const read: TaskRequest = { tool: 'file_read', params: { path: 'a.txt' }, mountSource: target };
    expect((await ex.executeTask(read)).stdout).toBe('INSIDE\n');
    await ready(meter);
    // The attacker moves the judged directory away and points its path at another directory.
    fs.renameSync(target, root.path('ws-moved'));
    fs.symlinkSync(outside, target);
    const r = await ex.executeTask(read);
    // The call judged what the path names now (the outside directory, another key): not the pooled container,
    // which still has the moved directory mounted and is never handed to it.
    expect(r.status).toBe('denied');
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stderr).not.toContain(SECRET);
    expect(meter.total(POOL_METRICS.hits)).toBe(0);
    expect(waiting(workerId)).toHaveLength(1);
    // Restoring a different directory at the path: again another inode, so again not the pooled container.
    fs.unlinkSync(target);
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'a.txt'), 'NEW\n');
    fs.chownSync(target, OWNER.uid, OWNER.gid);
    const again = await ex.executeTask(read);
    expect(again.stdout).toBe('NEW\n');
    expect(meter.total(POOL_METRICS.hits)).toBe(0);
  } finally {
    root.cleanup();
  }
});
