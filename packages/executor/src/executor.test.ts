import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToolCatalog, getToolSpec } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { LABELS } from './labels';
import type { TaskEvent } from './task-types';
import { closeExecutors, echo, MiB, open, setup, until } from './test-support/executor-fixture';

afterEach(closeExecutors);

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

  it('under gVisor (runsc) on a client without volume calls, workspace tools are refused (MOUNT_PIN_UNAVAILABLE); others run', async () => {
    const { docker, make } = setup();
    docker.runtimesList = ['runc', 'runsc'];
    const ex = await make({ runtime: 'runsc', imageOverrides: { '*': 'img:echo' } });
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: os.tmpdir() });
    expect(r).toMatchObject({ status: 'error', error: { code: 'MOUNT_PIN_UNAVAILABLE' } });
    expect(r.error?.message).toMatch(/runsc.*hides host inode numbers.*the Docker client has no volume calls/);
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
