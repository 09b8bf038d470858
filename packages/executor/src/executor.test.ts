import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToolCatalog, getToolSpec } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { createExecutor } from './executor';
import { fetchUrl } from './helpers';
import type { Executor } from './executor';
import type { ExecutorOptions } from './executor-options';
import { LABELS } from './labels';
import type { ContainerRequest, PolicyEnforcer } from './policy-enforcer';
import type { TaskEvent } from './task-types';
import { FakeDocker } from './test-support/fake-docker';
import type { FakeContainer } from './test-support/fake-docker';

const MiB = 1024 * 1024;

const echo: ToolSpec<{ text: string; code?: number }> = {
  name: 'echo',
  displayName: 'Echo',
  description: 'Test tool: prints text.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: { text: { type: 'string' }, code: { type: 'integer', minimum: 0, maximum: 255 } },
    required: ['text'],
    additionalProperties: false,
  },
  image: 'img:echo',
  workspace: 'none',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 0.5, memoryBytes: 64 * MiB, pidsLimit: 10 },
  timeoutMs: 10_000,
  command: (p) => ({ argv: ['echo', p.text, String(p.code ?? 0)] }),
};

/** Default fake program: prints argv[1] to stdout and exits with argv[2]; "hang" never exits. */
const echoProgram = (c: FakeContainer): void => {
  const [, text, code] = c.body.Cmd;
  if (text === 'hang') return;
  if (text === 'oom') return c.exit(137, true);
  c.stdout(text ?? '');
  c.stderr('err');
  c.exit(Number(code ?? 0));
};

function setup(extra: ExecutorOptions = {}): { docker: FakeDocker; make: (o?: ExecutorOptions) => Promise<Executor> } {
  const docker = new FakeDocker();
  docker.images.add('img:echo');
  docker.program = echoProgram;
  const make = (o: ExecutorOptions = {}): Promise<Executor> =>
    createExecutor({
      docker,
      workerId: 'w-unit',
      reapIntervalMs: 0,
      catalog: createToolCatalog({ custom: [echo] }),
      ...extra,
      ...o,
    });
  return { docker, make };
}

const executors: Executor[] = [];
async function open(o: ExecutorOptions = {}, docker?: FakeDocker): Promise<{ ex: Executor; docker: FakeDocker }> {
  const s = setup();
  const d = docker ?? s.docker;
  const ex = await createExecutor({
    docker: d,
    workerId: 'w-unit',
    reapIntervalMs: 0,
    catalog: createToolCatalog({ custom: [echo] }),
    ...o,
  });
  executors.push(ex);
  return { ex, docker: d };
}
afterEach(async () => {
  await Promise.all(executors.splice(0).map((e) => e.close({ force: true })));
});

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition not reached');
}

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

describe('executeTask', () => {
  it('runs a tool and returns its output, with events in order', async () => {
    const { ex, docker } = await open();
    const events: TaskEvent[] = [];
    const r = await ex.executeTask({
      tool: 'echo',
      params: { text: 'hello' },
      taskId: 't-1',
      onEvent: (e) => events.push(e),
    });
    expect(r).toMatchObject({
      taskId: 't-1',
      tool: 'echo',
      status: 'completed',
      exitCode: 0,
      stdout: 'hello',
      stderr: 'err',
      truncated: false,
    });
    expect(r.containerId).toBe(docker.containers[0]?.id);
    expect(events.map((e) => e.type)).toEqual(['queued', 'started', 'stdout', 'stderr', 'exited']);
    expect(events[4]).toMatchObject({ type: 'exited', exitCode: 0, status: 'completed' });
    await ex.idle();
    expect(docker.live()).toHaveLength(0);
  });

  it('takes structured from run() when the tool built it, without calling parseOutput on the rewritten stdout', async () => {
    const framed: ToolSpec<{ text: string }> = {
      ...(echo as unknown as ToolSpec<{ text: string }>),
      name: 'framed',
      async run(p, _ctx, exec) {
        const raw = await exec({ argv: ['echo', p.text, '0'] });
        return { ...raw, stdout: `shown ${raw.stdout}`, structured: { raw: raw.stdout } };
      },
      parseOutput: () => {
        throw new Error('parseOutput must not run');
      },
    };
    const { ex } = await open({ catalog: createToolCatalog({ custom: [echo, framed as unknown as ToolSpec] }) });
    const r = await ex.executeTask({ tool: 'framed', params: { text: 'x' } });
    expect(r).toMatchObject({ status: 'completed', stdout: 'shown x', structured: { raw: 'x' } });
  });

  it('offers the same events through events(taskId)', async () => {
    const { ex } = await open();
    const it = ex.events('t-ev');
    const collected: string[] = [];
    const reading = (async () => {
      for await (const e of it) collected.push(e.type);
    })();
    await ex.executeTask({ tool: 'echo', params: { text: 'a' }, taskId: 't-ev' });
    await reading;
    expect(collected).toEqual(['queued', 'started', 'stdout', 'stderr', 'exited']);
  });

  it('reports a non-zero exit as failed with TOOL_FAILED', async () => {
    const { ex } = await open();
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'x', code: 3 } });
    expect(r).toMatchObject({ status: 'failed', exitCode: 3, error: { code: 'TOOL_FAILED' } });
  });

  it('reports unknown tools and invalid params without creating a container', async () => {
    const { ex, docker } = await open();
    expect(await ex.executeTask({ tool: 'nope', params: {} })).toMatchObject({
      status: 'error',
      error: { code: 'UNKNOWN_TOOL' },
    });
    const bad = await ex.executeTask({ tool: 'echo', params: { text: 5 } });
    expect(bad).toMatchObject({ status: 'error', error: { code: 'INVALID_PARAMS' } });
    expect(bad.error?.message).toContain('/text');
    const escape = await ex.executeTask({
      tool: 'file_read',
      params: { path: '../etc/passwd' },
      mountSource: os.tmpdir(),
    });
    expect(escape).toMatchObject({ status: 'error', error: { code: 'INVALID_PARAMS' } });
    expect(docker.calls).not.toContain('create');
  });

  it('requires an existing workspace for workspace tools', async () => {
    const { ex } = await open();
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'a' }, mountSource: '/definitely/not/here' });
    expect(r).toMatchObject({ status: 'error', error: { code: 'INVALID_REQUEST' } });
  });

  it('mounts the real path of a symlinked workspace and runs as nobody when root owns it', async () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'exec-unit-')));
    const link = `${dir}-link`;
    fs.symlinkSync(dir, link);
    try {
      const { ex, docker } = await open({ imageOverrides: { '*': 'img:echo' } });
      await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: link });
      const body = docker.containers[0]?.body;
      expect(body?.HostConfig.Mounts[0]).toMatchObject({ Source: dir, Target: '/workspace', ReadOnly: true });
      const owner = fs.statSync(dir).uid;
      expect(body?.User).toBe(owner === 0 ? '65534:65534' : `${owner}:${fs.statSync(dir).gid}`);
    } finally {
      fs.rmSync(link);
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('gates every workspace container on the identity of the directory that was judged', async () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'exec-unit-')));
    try {
      const { ex, docker } = await open({ imageOverrides: { '*': 'img:echo' } });
      await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: dir });
      const body = docker.containers[0]?.body;
      const st = fs.statSync(dir);
      expect(body?.Cmd.slice(0, 2)).toEqual(['/bin/sh', '-c']);
      const argv = getToolSpec('file_read').command?.({ path: 'a.txt' }, { workspaceDir: '/workspace' }).argv;
      expect(body?.Cmd.slice(4)).toEqual(argv);
      expect(argv).toContain('/workspace/a.txt');
      expect(body?.Env).toEqual(
        expect.arrayContaining(['BAAAHT_PIN_PATHS=/workspace', `BAAAHT_PIN_IDS=${st.dev}:${st.ino}`]),
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('a gate refusal is status denied with WORKSPACE_CHANGED; a tool cannot forge one without the nonce', async () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'exec-unit-')));
    try {
      const { ex, docker } = await open({ imageOverrides: { '*': 'img:echo' } });
      docker.program = (c) => {
        const nonce = (c.body.Env ?? []).find((e) => e.startsWith('BAAAHT_GATE_NONCE='))?.split('=')[1] ?? '';
        c.stderr(`baaaht-gate:${nonce}\n`);
        c.exit(213);
      };
      const r = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: dir });
      expect(r).toMatchObject({ status: 'denied', error: { code: 'WORKSPACE_CHANGED' } });
      docker.program = (c) => {
        c.stderr('baaaht-gate:guessed\n');
        c.exit(213);
      };
      const forged = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: dir });
      expect(forged).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED' } });
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('under gVisor (runsc) workspace tools are refused with MOUNT_PIN_UNAVAILABLE; others run', async () => {
    const { docker, make } = setup();
    docker.runtimesList = ['runc', 'runsc'];
    const ex = await make({ runtime: 'runsc', imageOverrides: { '*': 'img:echo' } });
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: os.tmpdir() });
    expect(r).toMatchObject({ status: 'error', error: { code: 'MOUNT_PIN_UNAVAILABLE' } });
    expect(r.error?.message).toMatch(/runsc.*hides host inode numbers/);
    expect(docker.calls).not.toContain('create');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'hi' } })).toMatchObject({ status: 'completed' });
    await ex.close();
  });

  it('without a policy a workspace that is or exposes a system or engine path is denied', async () => {
    const { ex, docker } = await open({ imageOverrides: { '*': 'img:echo' } });
    for (const source of ['/', '/etc', '/proc/self']) {
      const r = await ex.executeTask({ tool: 'file_read', params: { path: 'x' }, mountSource: source });
      expect(r).toMatchObject({ status: 'denied', error: { code: 'POLICY_DENIED', detail: 'executor.always_denied' } });
    }
    expect(docker.calls).not.toContain('create');
  });

  it('says when a signal the worker did not send stopped the tool (e.g. the Docker daemon shutting down)', async () => {
    const { ex, docker } = await open();
    docker.program = (c) => c.exit(143);
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({ status: 'failed', exitCode: 143, error: { code: 'TOOL_FAILED' } });
    expect(r.error?.message).toMatch(/killed by SIGTERM \(exit code 143\), not by the worker/);
  });

  it('caps output per stream and reports dropped bytes', async () => {
    const { ex, docker } = await open({ maxStdoutBytes: 10, maxStderrBytes: 2 });
    docker.program = (c) => {
      for (let i = 0; i < 10; i++) c.stdout('0123456789');
      c.stderr('abcdef');
      c.exit(0);
    };
    const chunks: number[] = [];
    const r = await ex.executeTask({
      tool: 'echo',
      params: { text: 'x' },
      onEvent: (e) => e.type === 'stdout' && chunks.push(e.chunk.length),
    });
    expect(r).toMatchObject({
      status: 'completed',
      stdout: '0123456789',
      stderr: 'ab',
      truncated: true,
      stdoutDroppedBytes: 90,
      stderrDroppedBytes: 4,
    });
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('applies per-task limits only when tighter', async () => {
    const { ex, docker } = await open();
    await ex.executeTask({
      tool: 'echo',
      params: { text: 'x' },
      limits: { memoryBytes: 32 * MiB, pidsLimit: 1000, cpus: 0.25 },
    });
    expect(docker.containers[0]?.body.HostConfig).toMatchObject({
      Memory: 32 * MiB,
      MemorySwap: 32 * MiB,
      PidsLimit: 10,
      CpuQuota: 250_000,
    });
  });

  it("labels containers with the request's session id and its labels under org.baaaht.label.", async () => {
    const { ex, docker } = await open({ sessionId: 'worker-name' });
    await ex.executeTask({
      tool: 'echo',
      params: { text: 'x' },
      taskId: 't-labels',
      sessionId: 'sess-42',
      labels: { team: 'search', 'run.id': 'r-1' },
    });
    expect(docker.containers[0]?.body.Labels).toMatchObject({
      [LABELS.sessionId]: 'sess-42',
      [LABELS.taskId]: 't-labels',
      'org.baaaht.label.team': 'search',
      'org.baaaht.label.run.id': 'r-1',
    });
    await ex.executeTask({ tool: 'echo', params: { text: 'y' } });
    expect(docker.containers[1]?.body.Labels?.[LABELS.sessionId]).toBe('worker-name');
  });

  it('refuses bad labels with INVALID_REQUEST (INVALID_LABEL) and creates no container', async () => {
    const { ex, docker } = await open();
    const tooMany = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'Org.Baaaht.Session-Id': 'x' }, /key "Org.Baaaht.Session-Id" is not a label key/],
      [{ 'a..b': 'x' }, /key "a\.\.b" is not a label key/],
      [{ ['k'.repeat(64)]: 'x' }, /is not a label key \(1-63 lowercase/],
      [{ ok: 'line\nbreak' }, /labels\.ok: the value must be a string without control characters/],
      [{ ok: 'v'.repeat(257) }, /labels\.ok: the value is longer than 256 bytes/],
      [tooMany, /33 labels, at most 32 are allowed/],
    ];
    for (const [labels, message] of cases) {
      const r = await ex.executeTask({ tool: 'echo', params: { text: 'x' }, labels });
      expect(r).toMatchObject({
        status: 'error',
        containerId: null,
        error: { code: 'INVALID_REQUEST', detail: 'INVALID_LABEL' },
      });
      expect(r.error?.message).toMatch(message);
    }
    expect(docker.calls).not.toContain('create');
  });

  it("a task label never replaces the executor's own labels", async () => {
    const { ex, docker } = await open({ sessionId: 'sess' });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' }, labels: { managed: 'false', 'session-id': 'forged' } });
    expect(docker.containers[0]?.body.Labels).toMatchObject({
      [LABELS.managed]: 'true',
      [LABELS.sessionId]: 'sess',
      'org.baaaht.label.managed': 'false',
      'org.baaaht.label.session-id': 'forged',
    });
  });

  it('refuses a duplicate live task id', async () => {
    const { ex, docker } = await open();
    docker.program = () => undefined;
    const first = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'dup' });
    await until(() => docker.containers.length === 1);
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'dup' })).toMatchObject({
      status: 'error',
      error: { code: 'INVALID_REQUEST' },
    });
    ex.cancelTask('dup', { force: true });
    await first;
  });
});

describe('policy', () => {
  it('a denial is status denied with POLICY_DENIED and no container', async () => {
    const seen: ContainerRequest[] = [];
    const policy: PolicyEnforcer = {
      enforce(req) {
        seen.push(req);
        throw Object.assign(new Error('image not allowed'), {
          code: 'POLICY_DENIED',
          violations: [{ rule: 'images.allow' }],
        });
      },
    };
    const { ex, docker } = await open({ policy, sessionId: 'sess' });
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({
      status: 'denied',
      exitCode: null,
      containerId: null,
      error: { code: 'POLICY_DENIED', detail: 'images.allow' },
    });
    expect(docker.calls).not.toContain('create');
    expect(seen[0]).toMatchObject({
      tool: 'echo',
      sessionId: 'sess',
      user: '65534:65534',
      privileged: false,
      capDrop: ['ALL'],
      readOnlyRootfs: true,
      network: 'none',
    });
    expect(ex.metrics().tasks.denied).toBe(1);
  });

  it('shows the policy which limits were explicitly requested, and their requested values', async () => {
    const seen: ContainerRequest[] = [];
    const policy: PolicyEnforcer = {
      enforce(req) {
        seen.push(req);
        return req;
      },
    };
    const { ex, docker } = await open({ policy });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' }, limits: { memoryBytes: 32 * MiB, cpus: 4 } });
    expect(seen[0]?.resources).toEqual({
      nanoCpus: 500_000_000,
      memoryBytes: 32 * MiB,
      memorySwapBytes: 32 * MiB,
      pidsLimit: 10,
      requested: { nanoCpus: 4_000_000_000, memoryBytes: 32 * MiB },
    });
    expect(docker.containers[0]?.body.HostConfig).toMatchObject({ Memory: 32 * MiB, CpuQuota: 500_000 });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(seen[1]?.resources.requested).toBeUndefined();
  });

  it('a policy that throws anything else also denies (fail closed)', async () => {
    const { ex, docker } = await open({ policy: { enforce: () => Promise.reject(new Error('boom')) } });
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'denied',
      error: { code: 'POLICY_DENIED' },
    });
    expect(docker.calls).not.toContain('create');
  });

  it('clamps from the policy are applied', async () => {
    const policy: PolicyEnforcer = {
      enforce: (req) => ({ ...req, resources: { ...req.resources, memoryBytes: 16 * MiB, memorySwapBytes: 16 * MiB } }),
    };
    const { ex, docker } = await open({ policy });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.containers[0]?.body.HostConfig.Memory).toBe(16 * MiB);
  });

  it('takes one snapshot of a reloadable policy per task and keeps it for the whole task', async () => {
    let generation = 0;
    const used: number[] = [];
    const policy: PolicyEnforcer = {
      enforce: () => {
        throw new Error('the live enforcer must not be used when a snapshot exists');
      },
      snapshot() {
        const mine = ++generation;
        return {
          enforce: (req) => {
            used.push(mine);
            return req;
          },
        };
      },
    };
    const { ex } = await open({ policy });
    expect((await ex.executeTask({ tool: 'echo', params: { text: 'a' } })).status).toBe('completed');
    expect((await ex.executeTask({ tool: 'echo', params: { text: 'b' } })).status).toBe('completed');
    expect(used).toEqual([1, 2]);
  });
});

describe('queue, cancel, timeout, oom', () => {
  it('bounds the queue with QUEUE_FULL and cancels a queued task without creating anything', async () => {
    const { ex, docker } = await open({ maxConcurrentTasks: 1, maxQueuedTasks: 1 });
    docker.program = () => undefined;
    const running = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'run' });
    await until(() => docker.containers.length === 1);
    const queued = ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'q' });
    await until(() => ex.taskState('q') === 'queued');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'error',
      error: { code: 'QUEUE_FULL' },
    });
    expect(ex.metrics()).toMatchObject({ activeTasks: 1, queuedTasks: 1 });
    expect(ex.cancelTask('q')).toBe(true);
    expect(await queued).toMatchObject({ status: 'cancelled', containerId: null, error: { code: 'CANCELLED' } });
    expect(docker.containers).toHaveLength(1);
    ex.cancelTask('run', { force: true });
    await running;
  });

  it('liveTasks() lists queued and running tasks with tool, state, container and session, oldest first', async () => {
    const { ex, docker } = await open({ maxConcurrentTasks: 1, sessionId: 'default-session' });
    docker.program = () => undefined;
    expect(ex.liveTasks()).toEqual([]);
    const running = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'run', sessionId: 's-1' });
    await until(() => docker.containers[0]?.started === true);
    const queued = ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'q' });
    await until(() => ex.taskState('q') === 'queued');
    const live = ex.liveTasks();
    expect(live).toEqual([
      {
        taskId: 'run',
        tool: 'echo',
        state: 'running',
        startedAt: expect.any(Number),
        containerId: docker.containers[0]?.id,
        sessionId: 's-1',
      },
      {
        taskId: 'q',
        tool: 'echo',
        state: 'queued',
        startedAt: expect.any(Number),
        containerId: null,
        sessionId: 'default-session',
      },
    ]);
    expect(live[0]?.startedAt).toBeLessThanOrEqual(live[1]?.startedAt ?? 0);
    ex.cancelTask('q');
    ex.cancelTask('run', { force: true });
    await Promise.all([running, queued]);
    expect(ex.liveTasks()).toEqual([]);
  });

  it('cancelling while the container is being created leaves no container', async () => {
    const { ex, docker } = await open();
    let openGate!: () => void;
    docker.createGate = new Promise((r) => (openGate = r));
    const p = ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'c' });
    await until(() => docker.calls.includes('create'));
    ex.cancelTask('c');
    openGate();
    const r = await p;
    expect(r).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(docker.calls).not.toContain('start');
    expect(docker.live()).toHaveLength(0);
  });

  it('graceful cancel sends SIGTERM, then SIGKILL after the grace period if needed', async () => {
    const { ex, docker } = await open({ gracePeriodMs: 30 });
    docker.program = () => undefined;
    docker.ignoreSigterm = true;
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'g' });
    await until(() => docker.containers[0]?.started === true);
    ex.cancelTask('g');
    const r = await p;
    expect(r).toMatchObject({ status: 'cancelled', stopMode: 'graceful', exitCode: null });
    expect(docker.containers[0]?.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('force cancel sends SIGKILL at once', async () => {
    const { ex, docker } = await open({ gracePeriodMs: 10_000 });
    docker.program = () => undefined;
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'f' });
    await until(() => docker.containers[0]?.started === true);
    ex.cancelTask('f', { force: true });
    expect(await p).toMatchObject({ status: 'cancelled', stopMode: 'force' });
    expect(docker.containers[0]?.signals).toEqual(['SIGKILL']);
  });

  it('the caller signal cancels', async () => {
    const { ex, docker } = await open();
    docker.program = () => undefined;
    const ac = new AbortController();
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, signal: ac.signal });
    await until(() => docker.containers[0]?.started === true);
    ac.abort();
    expect(await p).toMatchObject({ status: 'cancelled' });
  });

  it('a timeout stops the container and says so', async () => {
    const { ex, docker } = await open({ timeoutGracePeriodMs: 0 });
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'hang' }, timeoutMs: 50 });
    expect(r).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' }, stopMode: 'graceful' });
    expect(docker.containers[0]?.signals).toEqual(['SIGKILL']);
  });

  it('reports OOMKilled as oom', async () => {
    const { ex } = await open();
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'oom' } })).toMatchObject({
      status: 'oom',
      error: { code: 'OOM' },
    });
  });

  it('limits concurrent container starts', async () => {
    const { ex, docker } = await open({ maxConcurrentTasks: 4, maxConcurrentStarts: 1 });
    let openGate!: () => void;
    docker.createGate = new Promise((r) => (openGate = r));
    const ps = [1, 2, 3].map((i) => ex.executeTask({ tool: 'echo', params: { text: String(i) } }));
    await tick(30);
    expect(docker.calls.filter((c) => c === 'create')).toHaveLength(1);
    openGate();
    const rs = await Promise.all(ps);
    expect(rs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
  });

  it('close() cancels live tasks and waits for removal', async () => {
    const { ex, docker } = await open();
    docker.program = () => undefined;
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' } });
    await until(() => docker.containers[0]?.started === true);
    await ex.close();
    expect(await p).toMatchObject({ status: 'cancelled', error: { code: 'EXECUTOR_CLOSED' } });
    expect(docker.live()).toHaveLength(0);
    expect(ex.state).toBe('closed');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'error',
      error: { code: 'EXECUTOR_CLOSED' },
    });
  });
});

describe('images', () => {
  it('fails fast with IMAGE_NOT_FOUND naming the image and how to provide it', async () => {
    const { ex, docker } = await open({ pullPolicy: 'never', imageOverrides: { echo: 'missing:1' } });
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({ status: 'error', error: { code: 'IMAGE_NOT_FOUND' } });
    expect(r.error?.message).toContain("'missing:1'");
    expect(r.error?.message).toContain('build-offline-images.sh');
    expect(r.error?.message).toContain('--tool-image echo=IMAGE');
    expect(docker.pulls).toEqual([]);
  });

  it('if-missing pulls once; a failed pull is IMAGE_NOT_FOUND', async () => {
    const { ex, docker } = await open({ imageOverrides: { echo: 'remote:1' } });
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      error: { code: 'IMAGE_NOT_FOUND' },
    });
    docker.pullable.add('remote:1');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({ status: 'completed' });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.pulls).toEqual(['remote:1', 'remote:1']);
  });

  it("'*' override applies to tools without their own entry", async () => {
    const { ex, docker } = await open({ imageOverrides: { '*': 'img:echo', file_read: 'other' } });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.containers[0]?.body.Image).toBe('img:echo');
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

describe('events isolation', () => {
  it('a refused duplicate id does not end the live task event stream', async () => {
    const { ex, docker } = await open();
    docker.program = () => undefined;
    const types: string[] = [];
    const reading = (async () => {
      for await (const e of ex.events('shared')) types.push(e.type);
    })();
    const first = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'shared' });
    await until(() => docker.containers[0]?.started === true);
    await ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'shared' });
    expect(types).toEqual(['queued', 'started']);
    ex.cancelTask('shared', { force: true });
    await first;
    await reading;
    expect(types).toEqual(['queued', 'started', 'exited']);
  });
});
