// The mount source must be the directory that was judged (issue 11, item 1). Someone who can rename
// entries along the workspace path swaps a component for a symlink to an outside directory between the
// policy check and the container start. Three ways: exactly at the worst moment (inside the policy
// check, after the verdict), by renaming an intermediate component, and a bounded racer flipping the
// directory while 50 reads and 50 writes run. The outside directory is never read or touched.
// Under runc the in-container gate catches the swap; under gVisor (BAAAHT_TEST_RUNTIME=runsc, CI's second
// pass) each container's descriptor volumes are opened again and compared with the judged identity.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExecutor } from '@baaaht/executor';
import type { Executor, ExecutorOptions, TaskResult } from '@baaaht/executor';
import { createPolicyEnforcer, parsePolicy } from '@baaaht/policy';
import { containersWithLabel, offlineToolImages, runScopedName, volumesWithLabel } from '@baaaht/test-utils';

const SECRET = 'OUTSIDE-SECRET-7f3a';
let dir: string;
let allowed: string;
let outside: string;
const executors: Executor[] = [];

function policyEnforcer(): ReturnType<typeof createPolicyEnforcer> {
  return createPolicyEnforcer(
    parsePolicy(
      [
        'mode: strict',
        'mounts:',
        '  allow_bind_mounts: true',
        '  mount_allowlist:',
        `    - { path: ${JSON.stringify(allowed + '/*')}, mode: readwrite }`,
        `    - { path: ${JSON.stringify(allowed)}, mode: readwrite }`,
        `    - { path: ${JSON.stringify(outside)}, mode: denied }`,
      ].join('\n'),
      { format: 'yaml', source: 'mount-race-policy.yaml' },
    ),
  );
}

async function open(name: string, extra: Partial<ExecutorOptions> = {}): Promise<Executor> {
  const ex = await createExecutor({
    workerId: runScopedName(`it-mount-race-${name}`),
    policy: policyEnforcer(),
    imageOverrides: offlineToolImages(),
    pullPolicy: 'never',
    reapIntervalMs: 0,
    runtime: process.env['BAAAHT_TEST_RUNTIME'] || 'runc',
    ...extra,
  });
  executors.push(ex);
  return ex;
}

function outsideUntouched(): void {
  expect(fs.readdirSync(outside).sort()).toEqual(['secret.txt']);
  expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe(`${SECRET}\n`);
}

function neverLeaked(r: TaskResult): void {
  expect(r.stdout).not.toContain(SECRET);
  expect(r.stderr).not.toContain(SECRET);
}

/** A fresh workspace `allowed/<name>` holding secret.txt = INSIDE, owned by a non-root user (tools run as it). */
function workspace(name: string): string {
  const ws = path.join(allowed, name);
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'secret.txt'), 'INSIDE\n');
  fs.chownSync(ws, 1234, 1234);
  return ws;
}

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-mount-race-')));
  fs.chmodSync(dir, 0o755);
  allowed = path.join(dir, 'allowed');
  outside = path.join(dir, 'outside');
  fs.mkdirSync(allowed);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), `${SECRET}\n`);
});

afterAll(async () => {
  for (const ex of executors) await ex.close();
  for (const ex of executors) expect(containersWithLabel(`org.baaaht.worker-id=${ex.workerId}`)).toEqual([]);
  for (const ex of executors) expect(volumesWithLabel(`org.baaaht.worker-id=${ex.workerId}`)).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a swap after the policy verdict and before the container start', () => {
  /** Wraps the real policy: judges, then swaps `ws` for a symlink to the outside directory. */
  function swappingPolicy(swap: () => void): ExecutorOptions['policy'] {
    const real = policyEnforcer();
    return {
      enforce: async (request) => {
        const verdict = await real.enforce(request);
        swap();
        return verdict;
      },
    };
  }

  it.each(['file_read', 'file_write', 'list', 'grep'] as const)(
    '%s: the last component swapped for a symlink is refused (WORKSPACE_CHANGED) and the tool never runs',
    async (tool) => {
      const ws = workspace(`last-${tool}`);
      const ex = await open(`last-${tool}`, {
        policy: swappingPolicy(() => {
          fs.renameSync(ws, `${ws}.moved`);
          fs.symlinkSync(outside, ws);
        }),
      });
      const params: Record<string, Record<string, unknown>> = {
        file_read: { path: 'secret.txt' },
        file_write: { path: 'planted.txt', content: 'pwned\n' },
        list: { path: '.' },
        grep: { pattern: 'SECRET', path: '.' },
      };
      const r = await ex.executeTask({ tool, params: params[tool] ?? {}, mountSource: ws });
      expect({ status: r.status, code: r.error?.code }).toEqual({ status: 'denied', code: 'WORKSPACE_CHANGED' });
      neverLeaked(r);
      outsideUntouched();
    },
  );

  it('an intermediate component swapped for a symlink is refused too', async () => {
    const parent = path.join(allowed, 'team');
    const ws = path.join(parent, 'repo');
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'secret.txt'), 'INSIDE\n');
    // outside/repo exists, so the swapped path resolves to a real directory outside.
    const outsideRepo = path.join(dir, 'outside-parent', 'repo');
    fs.mkdirSync(outsideRepo, { recursive: true });
    fs.writeFileSync(path.join(outsideRepo, 'secret.txt'), `${SECRET}\n`);
    const ex = await open('intermediate', {
      policy: swappingPolicy(() => {
        fs.renameSync(parent, `${parent}.moved`);
        fs.symlinkSync(path.join(dir, 'outside-parent'), parent);
      }),
    });
    const r = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'secret.txt', content: 'overwritten\n' },
      mountSource: ws,
    });
    expect({ status: r.status, code: r.error?.code }).toEqual({ status: 'denied', code: 'WORKSPACE_CHANGED' });
    expect(fs.readFileSync(path.join(outsideRepo, 'secret.txt'), 'utf8')).toBe(`${SECRET}\n`);
  });

  it('without a swap the same wrapped policy lets the task run (the gate passes for the judged directory)', async () => {
    const ws = workspace('noswap');
    const ex = await open('noswap', { policy: swappingPolicy(() => undefined) });
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'secret.txt' }, mountSource: ws });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 'completed', stdout: 'INSIDE\n' });
  });
});

describe('a bounded racer flipping the workspace and a symlink to outside', () => {
  let racer: ChildProcess | undefined;

  afterEach(async () => {
    if (racer !== undefined && racer.exitCode === null) {
      racer.kill('SIGKILL');
      await new Promise((r) => racer?.once('exit', r));
    }
  });

  it('50 reads and 50 writes never read or touch the outside directory', async () => {
    const ws = workspace('raced');
    const hold = `${ws}.hold`;
    // Flips every ~2 ms for at most 60 s, then restores the directory and exits on its own.
    const script = `
      const fs = require('fs');
      const [ws, hold, outside] = process.argv.slice(1);
      const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const end = Date.now() + 60000;
      let stop = false;
      process.on('SIGTERM', () => (stop = true));
      const restore = () => { try { if (fs.lstatSync(ws).isSymbolicLink()) fs.unlinkSync(ws); } catch {} try { fs.renameSync(hold, ws); } catch {} };
      const tick = () => {
        if (stop || Date.now() > end) { restore(); process.exit(0); }
        try { fs.renameSync(ws, hold); fs.symlinkSync(outside, ws); nap(2); fs.unlinkSync(ws); fs.renameSync(hold, ws); } catch {}
        nap(1);
        setImmediate(tick);
      };
      tick();`;
    racer = spawn(process.execPath, ['-e', script, ws, hold, outside], { stdio: 'ignore' });
    const ex = await open('racer', { maxConcurrentTasks: 4, maxQueuedTasks: 200 });
    const tasks: Array<Promise<TaskResult>> = [];
    for (let i = 0; i < 50; i++) {
      tasks.push(ex.executeTask({ tool: 'file_read', params: { path: 'secret.txt' }, mountSource: ws }));
      tasks.push(
        ex.executeTask({ tool: 'file_write', params: { path: `w-${i}.txt`, content: 'x\n' }, mountSource: ws }),
      );
    }
    const results = await Promise.all(tasks);
    racer.kill('SIGTERM');
    await new Promise((r) => racer?.once('exit', r));

    for (const r of results) neverLeaked(r);
    outsideUntouched();
    const outcomes = results.map((r) => `${r.tool}:${r.status}:${r.error?.code ?? ''}`);
    // Every task has a typed outcome: it ran on the judged directory, or was refused/failed without running elsewhere.
    for (const o of outcomes)
      expect(o).toMatch(
        /^file_(read|write):(completed:|denied:(WORKSPACE_CHANGED|POLICY_DENIED)|error:(INVALID_REQUEST|DOCKER_ERROR))$/,
      );
    const completedReads = results.filter((r) => r.tool === 'file_read' && r.status === 'completed');
    for (const r of completedReads) expect(r.stdout).toBe('INSIDE\n');
    // The race is real: some tasks were refused by the gate or the policy, and some still ran.
    expect(completedReads.length).toBeGreaterThan(0);
    // The racer leaves the workspace in place; what was written went to it.
    const written = fs.readdirSync(ws).filter((f) => f.startsWith('w-'));
    expect(written.length).toBe(results.filter((r) => r.tool === 'file_write' && r.status === 'completed').length);
  });
});
