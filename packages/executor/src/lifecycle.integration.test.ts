import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from './clock';
import type { Clock } from './clock';
import { createDockerClient } from './docker-client';
import type { DockerClient } from './docker-client';
import { createExecutor } from './executor';
import { LABELS } from './labels';
import type { PolicyEnforcer } from './policy-enforcer';
import { openTestExecutor, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Runs the orphan fixture (an executor in a child process) until its container runs, then SIGKILLs it. */
async function runAndKillWorker(workerId: string, instanceDir: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'test-support', 'orphan-child.ts'), workerId, instanceDir],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  try {
    for (let i = 0; i < 600 && !out.includes('READY') && child.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect({ ready: out.includes('READY'), err }).toEqual({ ready: true, err: '' });
    expect(workerContainers(workerId)).toHaveLength(1);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

it('refuses a runtime the engine does not have with a clear error', async () => {
  await expect(
    createExecutor({ runtime: 'baaaht-no-such-runtime', workerId: testWorkerId('runtime'), reapIntervalMs: 0 }),
  ).rejects.toMatchObject({
    code: 'RUNTIME_UNAVAILABLE',
    message: expect.stringMatching(/'baaaht-no-such-runtime' is not available on this Docker engine \(it has: .*runc/),
  });
});

it('a policy denial is status denied and creates no container', async () => {
  const workerId = testWorkerId('denied');
  const policy: PolicyEnforcer = {
    enforce: () => {
      throw Object.assign(new Error('tool file_read is not allowed in this session'), {
        code: 'POLICY_DENIED',
        violations: [{ rule: 'tools.deny' }],
      });
    },
  };
  const ex = await openTestExecutor(workerId, { policy });
  try {
    const r = await ex.executeTask({ tool: 'hostile', params: { case: 'sleep' } });
    expect(r).toMatchObject({
      status: 'denied',
      containerId: null,
      error: { code: 'POLICY_DENIED', detail: 'tools.deny' },
    });
    expect(ex.metrics().containersCreated).toBe(0);
    expect(workerContainers(workerId)).toEqual([]);
  } finally {
    await ex.close();
  }
});

it('a missing image fails fast with IMAGE_NOT_FOUND and says how to provide it', async () => {
  const workerId = testWorkerId('noimage');
  const ex = await openTestExecutor(workerId, { imageOverrides: { hostile: 'baaaht/does-not-exist:never' } });
  try {
    const r = await ex.executeTask({ tool: 'hostile', params: { case: 'sleep' }, timeoutMs: 10_000 });
    expect(r).toMatchObject({ status: 'error', error: { code: 'IMAGE_NOT_FOUND' } });
    expect(r.error?.message).toContain('baaaht/does-not-exist:never');
    expect(r.error?.message).toContain('build-offline-images.sh');
    expect(r.error?.message).toContain('--tool-image hostile=IMAGE');
    expect(r.durationMs).toBeLessThan(10_000);
  } finally {
    await ex.close();
  }
});

/** A private lease directory per test, removed afterwards. */
let instanceDir: string;
beforeEach(() => {
  instanceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-it-instances-'));
});
afterEach(() => fs.rmSync(instanceDir, { recursive: true, force: true }));

it('a worker SIGKILLed mid-task leaves an orphan that its successor reaps at start-up', async () => {
  const workerId = testWorkerId('orphan');
  await runAndKillWorker(workerId, instanceDir);
  // Nothing ran the dead worker's cleanup: the container is still there.
  expect(workerContainers(workerId)).toHaveLength(1);

  const successor = await openTestExecutor(workerId, { instanceDir });
  try {
    expect(successor.metrics().containersReaped).toBe(1);
    expect(workerContainers(workerId)).toEqual([]);
  } finally {
    await successor.close();
  }
});

it('a dead instance is reaped by any worker sharing its lease directory, whatever its name', async () => {
  const deadId = testWorkerId('dead-other-name');
  await runAndKillWorker(deadId, instanceDir);
  expect(workerContainers(deadId)).toHaveLength(1);
  const other = await openTestExecutor(testWorkerId('survivor'), { instanceDir });
  try {
    expect(workerContainers(deadId)).toEqual([]);
  } finally {
    await other.close();
  }
});

it('two live workers with one name on one engine never reap each other', async () => {
  const workerId = testWorkerId('same-name');
  const first = await openTestExecutor(workerId, { instanceDir });
  const second = await openTestExecutor(workerId, { instanceDir });
  try {
    expect(second.workerId).toBe(workerId);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const taskId = `same-name-${process.pid}`;
    const task = first.executeTask({
      tool: 'hostile',
      taskId,
      params: { case: 'sleep' },
      timeoutMs: 60_000,
      onEvent: (e) => e.type === 'started' && started(),
    });
    await running;
    // The second instance's reaper sees a container with its own worker id and no task of its own.
    expect(await second.reap()).toBe(0);
    expect(workerContainers(workerId)).toHaveLength(1);
    expect(first.cancelTask(taskId, { force: true })).toBe(true);
    expect(await task).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(second.metrics().containersReaped).toBe(0);
  } finally {
    await first.close();
    await second.close();
  }
  expect(workerContainers(workerId)).toEqual([]);
});

it("another worker reaps a dead worker's container once it is past its deadline + margin", async () => {
  const deadId = testWorkerId('expired');
  await runAndKillWorker(deadId, instanceDir);
  expect(workerContainers(deadId)).toHaveLength(1);
  // The reaper reads the deadline label (now + 120 s here); a clock 10 minutes ahead makes it expired.
  // Its view is narrowed to the dead worker's containers so suites running alongside are never touched.
  const real = createDockerClient();
  const docker: DockerClient = { ...real, listContainers: () => real.listContainers(`${LABELS.workerId}=${deadId}`) };
  const clock: Clock = { ...systemClock, now: () => Date.now() + 10 * 60_000 };
  const other = await openTestExecutor(testWorkerId('other'), { docker, clock, reapMarginMs: 60_000 });
  try {
    expect(other.metrics().containersReaped).toBe(1);
    expect(workerContainers(deadId)).toEqual([]);
  } finally {
    await other.close();
  }
});
