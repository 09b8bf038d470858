import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchUrl } from './helpers';
import { LABELS } from './labels';
import { FakeDocker } from './test-support/fake-docker';
import { closeExecutors, open, setup, tick } from './test-support/executor-fixture';

afterEach(closeExecutors);

describe('createExecutor', () => {
  it('refuses a runtime the engine does not have, naming it', async () => {
    const { make } = setup();
    await expect(make({ runtime: 'runsc' })).rejects.toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
      message: expect.stringContaining("'runsc'"),
    });
  });

  it('accepts a registered runtime and puts it on every container', async () => {
    const { ex, docker } = await open({ runtime: 'io.containerd.runc.v2' });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.containers[0]?.body.HostConfig.Runtime).toBe('io.containerd.runc.v2');
  });

  it('rejects bad options with a TypeError naming the field', async () => {
    const { make } = setup();
    await expect(make({ maxConcurrentTasks: 0 })).rejects.toThrow(/maxConcurrentTasks/);
    await expect(make({ pullPolicy: 'sometimes' as never })).rejects.toThrow(/pullPolicy/);
  });

  it('reaps a dead predecessor orphans at start-up, a live instance with the same worker id never, others past their deadline', async () => {
    const docker = new FakeDocker();
    const now = Date.now();
    const instanceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-unit-instances-'));
    // A predecessor whose process is gone (a pid that exited) and a live one (this process) with the same id.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;
    const lease = (instanceId: string, pid: number, startTime: string) =>
      fs.writeFileSync(
        path.join(instanceDir, `${instanceId}.json`),
        JSON.stringify({ instanceId, workerId: 'w-unit', version: '0', pid, startTime, createdAt: '' }),
      );
    const dead = '00000000-0000-4000-8000-000000000001';
    const live = '00000000-0000-4000-8000-000000000002';
    lease(dead, deadPid, '1');
    lease(live, process.pid, '');
    const c = (id: string, worker: string, deadline: number, instance?: string) => ({
      id,
      state: 'running',
      labels: {
        [LABELS.managed]: 'true',
        [LABELS.workerId]: worker,
        [LABELS.taskId]: id,
        [LABELS.deadline]: String(deadline),
        ...(instance === undefined ? {} : { [LABELS.instanceId]: instance }),
      },
    });
    docker.extraListed = [
      c('mine', 'w-unit', now + 60_000, dead),
      c('same-name-live', 'w-unit', now + 60_000, live),
      c('theirs-live', 'w-other', now + 60_000),
      c('theirs-expired', 'w-other', now - 120_000),
    ];
    const removed: string[] = [];
    docker.removeContainer = async (id) => {
      removed.push(id);
    };
    try {
      const { ex } = await open({ instanceDir }, docker);
      expect(removed.sort()).toEqual(['mine', 'theirs-expired']);
      expect(ex.metrics().containersReaped).toBe(2);
      // The dead lease is pruned once nothing refers to it; the live one and ours stay.
      expect(fs.existsSync(path.join(instanceDir, `${dead}.json`))).toBe(false);
      expect(fs.existsSync(path.join(instanceDir, `${live}.json`))).toBe(true);
      expect(fs.existsSync(path.join(instanceDir, `${ex.instanceId}.json`))).toBe(true);
      await ex.close();
      expect(fs.existsSync(path.join(instanceDir, `${ex.instanceId}.json`))).toBe(false);
    } finally {
      fs.rmSync(instanceDir, { recursive: true, force: true });
    }
  });

  it('workerIdConflict: share (default), refuse or suffix when a live instance holds the worker id', async () => {
    const instanceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-unit-instances-'));
    try {
      const first = (await open({ instanceDir })).ex;
      const shared = (await open({ instanceDir })).ex;
      expect(shared.workerId).toBe('w-unit');
      expect(shared.instanceId).not.toBe(first.instanceId);
      await expect(open({ instanceDir, workerIdConflict: 'refuse' })).rejects.toMatchObject({
        code: 'WORKER_ID_IN_USE',
        message: expect.stringContaining(`held by live instance`),
      });
      const second = (await open({ instanceDir, workerIdConflict: 'suffix' })).ex;
      expect(second.workerId).toBe('w-unit-2');
      const third = (await open({ instanceDir, workerIdConflict: 'suffix' })).ex;
      expect(third.workerId).toBe('w-unit-3');
      for (const ex of [first, shared, second, third]) await ex.close();
      expect((await open({ instanceDir, workerIdConflict: 'refuse' })).ex.workerId).toBe('w-unit');
    } finally {
      fs.rmSync(instanceDir, { recursive: true, force: true });
    }
  });

  it('refuses an instance directory another user could write', async () => {
    const instanceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-unit-instances-'));
    fs.chmodSync(instanceDir, 0o777);
    try {
      await expect(open({ instanceDir })).rejects.toMatchObject({ code: 'INSTANCE_DIR_UNSAFE' });
    } finally {
      fs.rmSync(instanceDir, { recursive: true, force: true });
    }
  });
});

describe('periodic reaper', () => {
  it('runs every reapIntervalMs on the injected clock and stops on close', async () => {
    const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
    const clock = {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimeout: (h: unknown) => void ((h as { cleared: boolean }).cleared = true),
    };
    const docker = new FakeDocker();
    const listed: number[] = [];
    const list = docker.listContainers.bind(docker);
    docker.listContainers = () => (listed.push(1), list());
    const { ex } = await open({ reapIntervalMs: 1000, clock }, docker);
    expect(listed).toHaveLength(1);
    const reapTimer = timers.find((t) => t.ms === 1000);
    expect(reapTimer).toBeDefined();
    reapTimer?.fn();
    await tick();
    expect(listed).toHaveLength(2);
    const next = timers.filter((t) => t.ms === 1000);
    expect(next).toHaveLength(2);
    await ex.close();
    expect(next[1]?.cleared).toBe(true);
  });
});

describe('helpers', () => {
  it('return output on success and throw the typed error otherwise', async () => {
    const { ex } = await open();
    await expect(fetchUrl(ex, 'ftp://example.com/')).rejects.toMatchObject({
      name: 'ExecutorError',
      code: 'INVALID_PARAMS',
    });
  });
});
