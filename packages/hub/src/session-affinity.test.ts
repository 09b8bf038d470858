import { ManualClock, RecordingMeter } from '@baaaht/test-utils';
import { SessionCloseStatus, TaskState } from '@baaaht/proto';
import type { TaskFinished } from '@baaaht/proto';
import { HubCore } from './hub-core';
import { quietLogger } from './logger';
import { MemoryTaskStore } from './memory-task-store';
import { FakeWorker } from './test-support/fake-worker';

function makeCore(leaseMs = 1000) {
  const clock = new ManualClock();
  const meter = new RecordingMeter();
  const core = new HubCore({
    store: new MemoryTaskStore(),
    leaseMs,
    clock,
    logger: quietLogger,
    knownTools: undefined,
    metrics: meter,
  });
  return { core, clock, meter };
}

function worker(core: HubCore, name: string, slots = 2, extra: { tools?: string[] } = {}): FakeWorker {
  const w = new FakeWorker(core, { slots, name, ...extra });
  w.register();
  w.connect();
  return w;
}

const results = (core: HubCore): Map<string, TaskFinished> => {
  const seen = new Map<string, TaskFinished>();
  core.on('task-finished', (taskId, finished) => seen.set(taskId, finished));
  return seen;
};

describe('session affinity', () => {
  test("a session's calls go to the worker that holds it, even when another worker has more room", () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1', 2);
    const w2 = worker(core, 'w2', 2);
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    const holder = w1.assigned().includes('a') ? w1 : w2;
    const other = holder === w1 ? w2 : w1;
    holder.finish('a');
    // Busy the holder, so plain dispatch (most free slots) would choose the other worker.
    core.submit({ taskId: 'plain', tool: 'echo' });
    expect(other.assigned()).not.toContain('plain');
    core.submit({ taskId: 'b', tool: 'echo', sessionId: 's1' });
    expect(holder.assigned()).toEqual(['a', 'plain', 'b']);
    expect(other.assigned()).toEqual([]);
    // Plain tasks still spread as before.
    core.submit({ taskId: 'plain2', tool: 'echo' });
    expect(other.assigned()).toEqual(['plain2']);
  });

  test('a call waits for its full holder instead of going to an idle worker', () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1', 1);
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    expect(w1.assigned()).toEqual(['a']);
    const w2 = worker(core, 'w2', 4);
    core.submit({ taskId: 'b', tool: 'echo', sessionId: 's1' });
    core.submit({ taskId: 'plain', tool: 'echo' });
    expect(w2.assigned()).toEqual(['plain']);
    expect(core.getTask('b')?.state).toBe(TaskState.TASK_STATE_QUEUED);
    w1.finish('a');
    expect(w1.assigned()).toEqual(['a', 'b']);
    expect(w2.assigned()).toEqual(['plain']);
  });

  test('a call waits while its holder is away within the lease, then moves and says so', () => {
    const { core, clock, meter } = makeCore(1000);
    const seen = results(core);
    const w1 = worker(core, 'w1');
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    w1.finish('a');
    w1.disconnect();
    const w2 = worker(core, 'w2');
    core.submit({ taskId: 'b', tool: 'echo', sessionId: 's1' });
    expect(w2.assigned()).toEqual([]);
    clock.advance(999);
    expect(w2.assigned()).toEqual([]);
    clock.advance(1);
    expect(w2.assigned()).toEqual(['b']);
    w2.finish('b');
    expect(seen.get('b')?.sessionMoved).toBe(true);
    expect(seen.get('a')?.sessionMoved).toBe(false);
    expect(core.getTask('b')?.finished?.sessionMoved).toBe(true);
    expect(meter.total('baaaht_hub_session_moves_total', { reason: 'holder_gone' })).toBe(1);
    expect(core.listSessions().map((s) => [s.sessionId, s.agentName])).toEqual([['s1', 'w2']]);
    // The next call stays on the new holder and is not a move.
    core.submit({ taskId: 'c', tool: 'echo', sessionId: 's1' });
    w2.finish('c');
    expect(seen.get('c')?.sessionMoved).toBe(false);
  });

  test('a holder that comes back within the lease keeps its session', () => {
    const { core, clock } = makeCore(1000);
    const w1 = worker(core, 'w1');
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    w1.finish('a');
    w1.disconnect();
    const w2 = worker(core, 'w2');
    core.submit({ taskId: 'b', tool: 'echo', sessionId: 's1' });
    clock.advance(500);
    w1.connect([], w1.token, { sessions: [{ sessionId: 's1', state: 'idle', calls: 1 }] });
    expect(w1.assigned()).toEqual(['a', 'b']);
    clock.advance(1000);
    expect(w2.assigned()).toEqual([]);
  });

  test('an unregistered or draining holder moves the session at once', () => {
    const { core, meter } = makeCore();
    const seen = results(core);
    const w1 = worker(core, 'w1');
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    core.submit({ taskId: 'x', tool: 'echo', sessionId: 's2' });
    w1.finish('a');
    w1.finish('x');
    const w2 = worker(core, 'w2');
    w1.send({ payload: { $case: 'flow', value: { draining: true, freeSlots: 2, maxSlots: 2 } } });
    core.submit({ taskId: 'b', tool: 'echo', sessionId: 's1' });
    expect(w2.assigned()).toEqual(['b']);
    // The draining worker is told to drop its orphaned copy.
    expect(w1.of('closeSession')).toEqual([{ sessionId: 's1', reason: 'session moved to another worker' }]);
    expect(meter.total('baaaht_hub_session_moves_total', { reason: 'holder_draining' })).toBe(1);
    expect(core.unregister(w1.agentId, w1.token)).toBe(true);
    expect(core.listSessions().find((s) => s.sessionId === 's2')?.state).toBe('lost');
    core.submit({ taskId: 'y', tool: 'echo', sessionId: 's2' });
    expect(w2.assigned()).toEqual(['b', 'y']);
    w2.finish('y');
    expect(seen.get('y')?.sessionMoved).toBe(true);
    expect(meter.total('baaaht_hub_session_moves_total', { reason: 'holder_gone' })).toBe(1);
  });

  test('a holder that cannot run the call (tool) moves the session', () => {
    const { core, meter } = makeCore();
    const w1 = worker(core, 'w1', 2, { tools: ['echo'] });
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    const w2 = worker(core, 'w2', 2, { tools: ['echo', 'web_fetch'] });
    core.submit({ taskId: 'b', tool: 'web_fetch', sessionId: 's1' });
    expect(w1.assigned()).toEqual(['a']);
    expect(w2.assigned()).toEqual(['b']);
    expect(meter.total('baaaht_hub_session_moves_total', { reason: 'holder_unfit' })).toBe(1);
  });

  test('sessions in hello are known before anything is dispatched', () => {
    const { core } = makeCore();
    const w1 = new FakeWorker(core, { slots: 1, name: 'w1' });
    w1.register();
    w1.connect([], w1.token, { sessions: [{ sessionId: 's9', state: 'idle', calls: 3 }] });
    const w2 = worker(core, 'w2', 4);
    core.submit({ taskId: 'b', tool: 'echo', sessionId: 's9' });
    expect(w1.assigned()).toEqual(['b']);
    expect(w2.assigned()).toEqual([]);
  });

  test('lists sessions with holder, state and calls; a worker report replaces the previous one', () => {
    const { core, clock, meter } = makeCore();
    const w1 = worker(core, 'w1');
    clock.advance(1000);
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    let [s1] = core.listSessions();
    expect(s1).toMatchObject({ sessionId: 's1', agentId: w1.agentId, agentName: 'w1', state: 'assigned', calls: 1 });
    expect(s1?.lastUsedAt?.getTime()).toBe(clock.now());
    expect(meter.last('baaaht_hub_sessions', { state: 'assigned' })).toBe(1);
    w1.finish('a');
    w1.reportSessions([{ sessionId: 's1', state: 'idle', calls: 7, containerId: 'abc123' }]);
    [s1] = core.listSessions();
    expect(s1).toMatchObject({ state: 'active', calls: 7, containerId: 'abc123', agentName: 'w1' });
    expect(meter.last('baaaht_hub_sessions', { state: 'active' })).toBe(1);
    // The worker ended it on its own (idle timeout): the next report leaves it out.
    w1.reportSessions([{ sessionId: 's0', state: 'idle' }]);
    expect(core.listSessions().map((s) => s.sessionId)).toEqual(['s0']);
    const page = core.listSessionsPage(0, '', { worker: 'w1' });
    expect(page.sessions.map((s) => s.sessionId)).toEqual(['s0']);
    expect(core.listSessionsPage(0, '', { worker: 'nobody' }).sessions).toEqual([]);
  });

  test('pages sessions in id order with an opaque token', () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1');
    w1.reportSessions(['s3', 's1', 's2'].map((sessionId) => ({ sessionId, state: 'idle' })));
    const first = core.listSessionsPage(2, '');
    expect(first.sessions.map((s) => s.sessionId)).toEqual(['s1', 's2']);
    const second = core.listSessionsPage(2, first.nextPageToken);
    expect(second.sessions.map((s) => s.sessionId)).toEqual(['s3']);
    expect(second.nextPageToken).toBe('');
    expect(() => core.listSessionsPage(2, 'garbage!')).toThrow(/page_token/);
  });

  test('a stale copy reported by another worker is told to close', () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1');
    const w2 = worker(core, 'w2');
    w1.reportSessions([{ sessionId: 's1', state: 'idle' }]);
    w2.reportSessions([{ sessionId: 's1', state: 'idle' }]);
    expect(w2.of('closeSession')).toEqual([{ sessionId: 's1', reason: 'session is held by another worker' }]);
    expect(core.listSessions()[0]?.agentName).toBe('w1');
  });
});

describe('closing a session', () => {
  test('routes the close to the holder and resolves with its answer', async () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1');
    const w2 = worker(core, 'w2');
    w1.reportSessions([{ sessionId: 's1', state: 'idle' }]);
    const closing = core.closeSession('s1');
    expect(w1.of('closeSession')).toEqual([{ sessionId: 's1', reason: 'closed by request' }]);
    expect(w2.of('closeSession')).toEqual([]);
    expect(core.listSessions()[0]?.state).toBe('closing');
    w1.send({ payload: { $case: 'sessionClosed', value: { sessionId: 's1', closed: true } } });
    await expect(closing).resolves.toEqual({
      sessionId: 's1',
      known: true,
      status: SessionCloseStatus.SESSION_CLOSE_STATUS_CLOSED,
      agentId: w1.agentId,
      agentName: 'w1',
    });
    expect(core.listSessions()).toEqual([]);
  });

  test('an unknown session resolves as UNKNOWN; a holder without it as NOT_HELD', async () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1');
    await expect(core.closeSession('nope')).resolves.toMatchObject({
      known: false,
      status: SessionCloseStatus.SESSION_CLOSE_STATUS_UNKNOWN,
    });
    core.submit({ taskId: 'a', tool: 'echo', sessionId: 's1' });
    const closing = core.closeSession('s1');
    w1.send({ payload: { $case: 'sessionClosed', value: { sessionId: 's1', closed: false } } });
    await expect(closing).resolves.toMatchObject({
      known: true,
      status: SessionCloseStatus.SESSION_CLOSE_STATUS_NOT_HELD,
    });
    await expect(core.closeSession('')).rejects.toThrow(/session_id/);
  });

  test('a report without the session confirms the close', async () => {
    const { core } = makeCore();
    const w1 = worker(core, 'w1');
    w1.reportSessions([{ sessionId: 's1', state: 'idle' }]);
    const closing = core.closeSession('s1');
    w1.reportSessions([]);
    await expect(closing).resolves.toMatchObject({ status: SessionCloseStatus.SESSION_CLOSE_STATUS_CLOSED });
  });

  test('a holder that is away or silent gets PENDING, and the close again on its next hello', async () => {
    const { core, clock } = makeCore();
    const w1 = worker(core, 'w1');
    w1.reportSessions([
      { sessionId: 's1', state: 'idle' },
      { sessionId: 's2', state: 'idle' },
    ]);
    const silent = core.closeSession('s2');
    clock.advance(5000);
    await expect(silent).resolves.toMatchObject({ status: SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING });
    w1.disconnect();
    await expect(core.closeSession('s1')).resolves.toMatchObject({
      known: true,
      status: SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING,
      agentName: 'w1',
    });
    expect(core.listSessions().map((s) => s.state)).toEqual(['closing', 'closing']);
    const before = w1.of('closeSession').length;
    w1.connect([], w1.token, { sessions: [{ sessionId: 's1', state: 'idle' }] });
    // s2 is gone from the hello (closed meanwhile); s1 is still there, so it is asked again.
    expect(w1.of('closeSession').slice(before)).toEqual([{ sessionId: 's1', reason: 'closed by request' }]);
    expect(core.listSessions().map((s) => s.sessionId)).toEqual(['s1']);
  });

  test('closing the hub resolves pending closes and leaves no timer', async () => {
    const { core, clock } = makeCore();
    const w1 = worker(core, 'w1');
    w1.reportSessions([{ sessionId: 's1', state: 'idle' }]);
    const closing = core.closeSession('s1');
    core.close();
    await expect(closing).resolves.toMatchObject({ status: SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING });
    expect(clock.pending).toEqual([]);
  });
});
