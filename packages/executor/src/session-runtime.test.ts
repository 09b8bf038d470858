import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { ManualClock, RecordingMeter } from '@baaaht/test-utils';
import type { Executor } from './executor';
import type { ExecutorOptions } from './executor-options';
import { LABELS } from './labels';
import { SANDBOX_AGENT_TARGET } from './session-container';
import { resolveSessionOptions } from './session-options';
import type { TaskRequest, TaskResult } from './task-types';
import { closeExecutors, echo, echoProgram, MiB, open, setup, tick, until } from './test-support/executor-fixture';
import type { FakeDocker } from './test-support/fake-docker';
import { FakeSessionAgents } from './test-support/fake-session-agent';

const wsTool = (name: string, workspace: 'readonly' | 'readwrite'): ToolSpec<{ text: string }> => ({
  ...(echo as unknown as ToolSpec<{ text: string }>),
  name,
  workspace,
  command: (p) => ({ argv: ['echo', p.text, '0'] }),
});

interface Harness {
  ex: Executor;
  docker: FakeDocker;
  agents: FakeSessionAgents;
  clock: ManualClock;
  meter: RecordingMeter;
  run(sessionId: string | undefined, text?: string, extra?: Partial<TaskRequest>): Promise<TaskResult>;
  sessionContainers(): string[];
}

async function harness(sessions: ExecutorOptions['sessions'] = {}, o: ExecutorOptions = {}): Promise<Harness> {
  const { docker } = setup();
  const agents = new FakeSessionAgents(echoProgram);
  docker.program = agents.program;
  const clock = new ManualClock();
  const meter = new RecordingMeter();
  const catalog = createToolCatalog({ custom: [echo, wsTool('ws_read', 'readonly'), wsTool('ws_write', 'readwrite')] });
  const { ex } = await open(
    {
      clock,
      metrics: meter,
      catalog,
      sessions: { enabled: true, idleMs: 1000, maxLifetimeMs: 5000, maxSessions: 2, ...sessions },
      ...o,
    },
    docker,
  );
  return {
    ex,
    docker,
    agents,
    clock,
    meter,
    run: (sessionId, text = 'hi', extra = {}) =>
      ex.executeTask({
        tool: 'echo',
        params: { text },
        ...(sessionId === undefined ? {} : { sessionId }),
        ...extra,
      }),
    sessionContainers: () =>
      docker
        .live()
        .filter((c) => c.body.Labels[LABELS.session] === '1')
        .map((c) => c.id),
  };
}

afterEach(closeExecutors);

describe('sessions (fake engine, fake agent)', () => {
  it('runs the calls of one session as agent calls in one hardened, labelled container', async () => {
    const h = await harness();
    const a = await h.run('s1', 'one');
    const b = await h.run('s1', 'two');
    expect([a.status, a.stdout, a.stderr, b.status, b.stdout]).toEqual(['completed', 'one', 'err', 'completed', 'two']);
    expect(a.sessionRestarted).toBeUndefined();
    expect(a.containerId).toBe(b.containerId);
    const [id] = h.sessionContainers();
    expect(h.sessionContainers()).toEqual([a.containerId]);
    const body = h.docker.get(id as string).body;
    expect(body.Cmd).toEqual([SANDBOX_AGENT_TARGET]);
    expect(body.HostConfig).toMatchObject({
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      NetworkMode: 'none',
      Memory: 64 * MiB,
      // echo's 10 and the agent's own process (SANDBOX_AGENT_PROCESSES): the calls get all 10.
      PidsLimit: 11,
    });
    expect(body.HostConfig.Mounts).toContainEqual(
      expect.objectContaining({ Target: SANDBOX_AGENT_TARGET, ReadOnly: true }),
    );
    expect(body).toMatchObject({ OpenStdin: true, StdinOnce: true, AttachStdin: true });
    expect(body.Labels).toMatchObject({
      [LABELS.session]: '1',
      [LABELS.sessionId]: 's1',
      [LABELS.sessionExpiry]: '5000',
      [LABELS.deadline]: '5000',
      [LABELS.workerId]: 'w-unit',
      [LABELS.instanceId]: h.ex.instanceId,
    });
    expect(h.agents.runsIn(id as string).map((r) => r.argv)).toEqual([
      ['echo', 'one', '0'],
      ['echo', 'two', '0'],
    ]);
    expect(h.ex.listSessions()).toEqual([
      expect.objectContaining({
        sessionId: 's1',
        state: 'ready',
        calls: 2,
        containerId: id,
        image: 'img:echo',
        restarts: 0,
      }),
    ]);
    expect(h.meter.total('baaaht_executor_session_calls_total', { tool: 'echo' })).toBe(2);
    expect(h.meter.last('baaaht_executor_sessions', { state: 'ready' })).toBe(1);
    // No session id: the per-call path, a fresh container removed after the call.
    const c = await h.run(undefined, 'solo');
    expect(c).toMatchObject({ status: 'completed', stdout: 'solo' });
    expect(c.containerId).not.toBe(id);
    expect(h.docker.get(c.containerId as string).body.Labels[LABELS.session]).toBeUndefined();
  });

  it('refuses a call whose plan shapes another container with SESSION_MISMATCH naming what differs', async () => {
    const h = await harness();
    const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'sess-a-'));
    const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'sess-b-'));
    try {
      expect((await h.run('s1')).status).toBe('completed');
      const limits = await h.run('s1', 'x', { limits: { memoryBytes: 32 * MiB } });
      expect(limits).toMatchObject({ status: 'error', error: { code: 'SESSION_MISMATCH', detail: 'memoryBytes' } });
      expect(limits.error?.message).toMatch(/memoryBytes: 67108864 vs 33554432/);
      const ws = (tool: string, dir: string): Promise<TaskResult> =>
        h.ex.executeTask({ tool, params: { text: 'w' }, sessionId: 'ws', mountSource: dir });
      expect((await ws('ws_write', dirA)).status).toBe('completed');
      // A read-only call in a read-write session is fine; another workspace is not.
      expect((await ws('ws_read', dirA)).status).toBe('completed');
      const other = await ws('ws_read', dirB);
      expect(other).toMatchObject({ status: 'error', error: { code: 'SESSION_MISMATCH', detail: 'workspace' } });
      // A read-write call in a read-only session is refused.
      expect(
        (await h.ex.executeTask({ tool: 'ws_read', params: { text: 'r' }, sessionId: 'ro', mountSource: dirB })).status,
      ).toBe('completed');
      const rw = await h.ex.executeTask({
        tool: 'ws_write',
        params: { text: 'w' },
        sessionId: 'ro',
        mountSource: dirB,
      });
      expect(rw.error).toMatchObject({ code: 'SESSION_MISMATCH', detail: 'workspace mode' });
    } finally {
      fs.rmSync(dirA, { recursive: true });
      fs.rmSync(dirB, { recursive: true });
    }
  });

  it('after a policy reload, rebinds a session whose calls now need another container (sessionRestarted)', async () => {
    const h = await harness();
    const first = await h.run('s1');
    expect(h.ex.invalidatePool('policy reloaded')).toBe(0);
    // Still the same container needed: the session goes on.
    const same = await h.run('s1');
    expect(same.containerId).toBe(first.containerId);
    expect(same.sessionRestarted).toBeUndefined();
    // Judged once under the new policy: without another reload a different plan is a mismatch again.
    const other = await h.run('s1', 'x', { limits: { memoryBytes: 32 * MiB } });
    expect(other.error).toMatchObject({ code: 'SESSION_MISMATCH', detail: 'memoryBytes' });
    h.ex.invalidatePool('policy reloaded');
    const rebound = await h.run('s1', 'x', { limits: { memoryBytes: 32 * MiB } });
    expect(rebound).toMatchObject({ status: 'completed', sessionRestarted: true });
    expect(rebound.containerId).not.toBe(first.containerId);
    expect(h.sessionContainers()).toEqual([rebound.containerId]);
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'policy' })).toBe(1);
    expect((await h.run('s1', 'y', { limits: { memoryBytes: 32 * MiB } })).sessionRestarted).toBeUndefined();
  });

  it('after a policy reload, a session with a call running is not rebound under it (SESSION_MISMATCH)', async () => {
    const h = await harness({ idleMs: 60_000 });
    const first = await h.run('s1');
    const hanging = h.run('s1', 'hang', { taskId: 'long' });
    await until(() => h.ex.listSessions()[0]?.state === 'busy');
    h.ex.invalidatePool('policy reloaded');
    const other = await h.run('s1', 'x', { limits: { memoryBytes: 32 * MiB } });
    expect(other.error).toMatchObject({ code: 'SESSION_MISMATCH' });
    expect(h.sessionContainers()).toEqual([first.containerId]);
    h.ex.cancelTask('long');
    await hanging;
  });

  it('closes an idle session after idleMs and clears every timer', async () => {
    const h = await harness({ maxSessions: 4 });
    const r = await h.run('s1');
    h.clock.advance(999);
    expect(h.ex.listSessions()[0]?.state).toBe('ready');
    await h.run('s1'); // a call resets the idle timer
    h.clock.advance(999);
    expect(h.sessionContainers()).toEqual([r.containerId]);
    h.clock.advance(1);
    await until(() => h.sessionContainers().length === 0 && h.ex.listSessions().length === 0);
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'idle' })).toBe(1);
    expect(h.clock.pending).toEqual([]);
    // The id starts a new session (not a restart).
    const again = await h.run('s1');
    expect(again.containerId).not.toBe(r.containerId);
    expect(again.sessionRestarted).toBeUndefined();
  });

  it('ends a session at maxLifetimeMs: new calls get a new session, running calls finish first', async () => {
    const h = await harness({ idleMs: 60_000 });
    const first = await h.run('s1');
    const hanging = h.run('s1', 'hang', { taskId: 'long' });
    await until(() => h.ex.taskState('long') === 'running');
    h.clock.advance(5000);
    expect(h.ex.listSessions().map((s) => [s.containerId, s.state])).toEqual([[first.containerId, 'closing']]);
    const next = await h.run('s1');
    expect(next.containerId).not.toBe(first.containerId);
    expect(h.sessionContainers()).toHaveLength(2);
    h.ex.cancelTask('long', { force: true });
    expect((await hanging).status).toBe('cancelled');
    await until(() => h.sessionContainers().length === 1);
    expect(h.sessionContainers()).toEqual([next.containerId]);
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'lifetime' })).toBe(1);
  });

  it('at maxSessions refuses with SESSION_LIMIT (refuse), or evicts the least recently used idle session', async () => {
    const refuse = await harness({ whenFull: 'refuse' });
    await refuse.run('a');
    await refuse.run('b');
    expect((await refuse.run('c')).error).toMatchObject({ code: 'SESSION_LIMIT' });

    const h = await harness();
    const a = await h.run('a');
    h.clock.advance(10);
    await h.run('b');
    h.clock.advance(10);
    await h.run('a'); // b is now the least recently used
    const c = await h.run('c');
    expect(c.status).toBe('completed');
    expect(h.ex.listSessions().map((s) => s.sessionId)).toEqual(['a', 'c']);
    await until(() => h.sessionContainers().length === 2);
    expect(h.sessionContainers()).toContain(a.containerId);
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'evicted' })).toBe(1);
    // Every session busy: nothing to evict.
    const hangA = h.run('a', 'hang', { taskId: 'ha' });
    const hangC = h.run('c', 'hang', { taskId: 'hc' });
    await until(() => h.ex.taskState('ha') === 'running' && h.ex.taskState('hc') === 'running');
    const d = await h.run('d');
    expect(d.error).toMatchObject({ code: 'SESSION_LIMIT' });
    expect(d.error?.message).toMatch(/every one is running a call/);
    h.ex.cancelTask('ha', { force: true });
    h.ex.cancelTask('hc', { force: true });
    await Promise.all([hangA, hangC]);
  });

  it('closeSession removes the container now; a call it cuts short fails with SESSION_CLOSED', async () => {
    const h = await harness();
    await h.run('s1');
    expect(await h.ex.closeSession('nope')).toBe(false);
    const hanging = h.run('s1', 'hang', { taskId: 'h' });
    await until(() => h.ex.taskState('h') === 'running');
    expect(await h.ex.closeSession('s1')).toBe(true);
    const r = await hanging;
    expect(r).toMatchObject({ status: 'error', error: { code: 'SESSION_CLOSED' } });
    expect(h.sessionContainers()).toEqual([]);
    expect(h.ex.listSessions()).toEqual([]);
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'explicit' })).toBe(1);
  });

  it('recreates a dead session container: the running call fails typed, the next result says restarted', async () => {
    const h = await harness();
    const first = await h.run('s1');
    const hanging = h.run('s1', 'hang', { taskId: 'h' });
    await until(() => h.ex.taskState('h') === 'running');
    h.docker.get(first.containerId as string).exit(137); // killed from outside
    const lost = await hanging;
    expect(lost).toMatchObject({ status: 'error', error: { code: 'SANDBOX_AGENT_GONE' } });
    expect(lost.error?.message).toMatch(/container died/);
    await until(() => h.ex.listSessions()[0]?.state === 'broken');
    expect(h.ex.listSessions()[0]).toMatchObject({ containerId: null, restarts: 1 });
    const next = await h.run('s1');
    expect(next).toMatchObject({ status: 'completed', stdout: 'hi', sessionRestarted: true });
    expect(next.containerId).not.toBe(first.containerId);
    expect((await h.run('s1')).sessionRestarted).toBeUndefined();
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'died' })).toBe(1);
    await until(() => h.sessionContainers().length === 1);
  });

  it('a timeout cancels only its call (CANCEL frames, never a container signal); OOM is reported as such', async () => {
    const h = await harness();
    const p = h.run('s1', 'hang', { taskId: 't', timeoutMs: 100 });
    await until(() => h.ex.taskState('t') === 'running');
    h.clock.advance(100);
    const r = await p;
    expect(r).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' } });
    const id = r.containerId as string;
    expect(h.agents.cancels.map((c) => c.force)).toEqual([false]);
    expect(h.docker.get(id).signals).toEqual([]);
    expect(h.docker.get(id).exited).toBe(false);
    expect(await h.run('s1', 'oom')).toMatchObject({ status: 'oom', error: { code: 'OOM' } });
    expect(await h.run('s1')).toMatchObject({ status: 'completed', containerId: id });
  });

  it('prewarmSession creates the container ahead of the first call; close() drains every session', async () => {
    const h = await harness({ maxSessions: 4 });
    const info = await h.ex.prewarmSession('p', { tool: 'echo', params: { text: 'x' } });
    expect(info).toMatchObject({ sessionId: 'p', state: 'ready', calls: 0 });
    expect(h.sessionContainers()).toEqual([info.containerId]);
    const r = await h.run('p');
    expect(r.containerId).toBe(info.containerId);
    await h.run('q');
    expect(await h.ex.reap()).toBe(0); // the reaper leaves live sessions alone
    await h.ex.close();
    expect(h.docker.live()).toEqual([]);
    expect(h.ex.listSessions()).toEqual([]);
    expect(h.meter.total('baaaht_executor_sessions_closed_total', { reason: 'drain' })).toBe(2);
    expect(h.clock.pending).toEqual([]);
  });

  it('sessions are opt-in: without them a session id only labels per-call containers', async () => {
    const h = await harness({ enabled: false });
    const r = await h.run('s1');
    expect(h.docker.get(r.containerId as string).body.Labels).toMatchObject({ [LABELS.sessionId]: 's1' });
    expect(h.sessionContainers()).toEqual([]);
    // The executor's default session id only labels: it never routes a task into a session.
    const d = await harness({}, { sessionId: 'default-label' });
    const labelled = await d.run(undefined);
    expect(d.docker.get(labelled.containerId as string).body.Labels).toMatchObject({
      [LABELS.sessionId]: 'default-label',
    });
    expect(d.sessionContainers()).toEqual([]);
    await expect(h.ex.prewarmSession('s1', { tool: 'echo', params: { text: 'x' } })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(await h.ex.closeSession('s1')).toBe(false);
    await tick();
  });
});

describe('resolveSessionOptions', () => {
  it('fills defaults and names the bad field', () => {
    expect(resolveSessionOptions(undefined)).toEqual({
      enabled: false,
      idleMs: 300_000,
      maxLifetimeMs: 3_600_000,
      maxSessions: 8,
      whenFull: 'evict-idle',
    });
    expect(() => resolveSessionOptions({ idleMs: 0 })).toThrow(/sessions\.idleMs/);
    expect(() => resolveSessionOptions({ maxSessions: 1.5 })).toThrow(/sessions\.maxSessions/);
    expect(() => resolveSessionOptions({ maxLifetimeMs: -1 })).toThrow(/sessions\.maxLifetimeMs/);
    expect(() => resolveSessionOptions({ whenFull: 'drop' as 'refuse' })).toThrow(/sessions\.whenFull/);
    expect(() => resolveSessionOptions({ enabled: 'yes' as unknown as boolean })).toThrow(/sessions\.enabled/);
  });
});
