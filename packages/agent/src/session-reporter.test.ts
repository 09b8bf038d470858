import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskAssignment } from '@baaaht/proto';
import type { WorkerMessage } from '@baaaht/proto';
import { ManualClock } from '@baaaht/test-utils';
import { Agent } from './agent';
import { quietLogger } from './logger';
import { SessionReporter } from './session-reporter';
import type { AgentSessionInfo, TaskHandler } from './task-handler';
import { miniHub } from './test-support/mini-hub';
import { until } from './test-support/until';
import { toTaskFinished } from './wire-mapping';

const base: TaskHandler = {
  tools: () => ['echo'],
  run: async () => ({ status: 'completed', exitCode: 0, stdout: '', stderr: '', truncated: false, durationMs: 1 }),
  cancel: () => undefined,
};

function reporter(handler: TaskHandler) {
  const sent: WorkerMessage[] = [];
  const r = new SessionReporter({ handler, logger: quietLogger, send: (m) => (sent.push(m), true) });
  return { r, sent };
}

describe('SessionReporter', () => {
  test('a handler without session hooks reports none and answers every close with false', async () => {
    const { r, sent } = reporter(base);
    expect(r.forHello()).toEqual([]);
    r.report();
    expect(sent).toEqual([]);
    await r.close({ sessionId: 's1', reason: 'x' });
    expect(sent).toEqual([{ payload: { $case: 'sessionClosed', value: { sessionId: 's1', closed: false } } }]);
  });

  test('reports only when the list changed since the hub last heard it; a reset sends it again', () => {
    let list: AgentSessionInfo[] = [
      { sessionId: 's1', state: 'idle', calls: 2, createdAt: 1000, lastUsedAt: new Date(2000) },
    ];
    const { r, sent } = reporter({ ...base, sessions: () => list });
    const hello = r.forHello();
    expect(hello).toMatchObject([{ sessionId: 's1', state: 'idle', calls: 2, running: 0, containerId: '' }]);
    expect(hello[0]?.createdAt?.getTime()).toBe(1000);
    r.report();
    expect(sent).toEqual([]);
    list = [...list, { sessionId: 's2', state: 'busy', calls: 1.7, running: -3 }];
    r.report();
    r.report();
    expect(sent).toHaveLength(1);
    const update = sent[0]?.payload;
    expect(update?.$case).toBe('sessions');
    if (update?.$case === 'sessions') {
      expect(update.value.sessions.map((s) => [s.sessionId, s.calls, s.running])).toEqual([
        ['s1', 2, 0],
        ['s2', 1, 0],
      ]);
    }
    r.reset();
    r.report();
    expect(sent).toHaveLength(2);
  });

  test('forwards a close to the handler, answers, then reports the new list; a throwing hook answers false', async () => {
    let list: AgentSessionInfo[] = [{ sessionId: 's1', state: 'idle' }];
    const closed: string[] = [];
    const { r, sent } = reporter({
      ...base,
      sessions: () => list,
      closeSession: async (id) => {
        if (id === 'bad') throw new Error('boom');
        closed.push(id);
        list = [];
        return true;
      },
    });
    r.forHello();
    await r.close({ sessionId: 's1', reason: 'closed by request' });
    expect(closed).toEqual(['s1']);
    expect(sent.map((m) => m.payload)).toEqual([
      { $case: 'sessionClosed', value: { sessionId: 's1', closed: true } },
      { $case: 'sessions', value: { sessions: [] } },
    ]);
    await r.close({ sessionId: 'bad', reason: '' });
    expect(sent[2]?.payload).toEqual({ $case: 'sessionClosed', value: { sessionId: 'bad', closed: false } });
  });

  test("toTaskFinished carries the handler's sessionRestarted", () => {
    const entry = {
      task: { taskId: 't', sessionId: 's1', tool: 'echo', mountSource: '', labels: {}, attempt: 1 },
      startedAt: new Date(),
      containerId: '',
    };
    const outcome = {
      status: 'completed' as const,
      exitCode: 0,
      stdout: '',
      stderr: '',
      truncated: false,
      durationMs: 1,
    };
    expect(toTaskFinished(entry, { ...outcome, sessionRestarted: true }).sessionRestarted).toBe(true);
    expect(toTaskFinished(entry, outcome).sessionRestarted).toBe(false);
  });
});

describe('Agent sessions on the wire (a minimal hub)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-sess-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('hello carries the sessions, a task result re-reports them, a close is forwarded and answered', async () => {
    const path = join(dir, 'hub.sock');
    const received: WorkerMessage[] = [];
    const hub = await miniHub(path, { received, ack: true });
    let list: AgentSessionInfo[] = [{ sessionId: 's1', state: 'idle', calls: 1 }];
    const handler: TaskHandler = {
      ...base,
      run: async (task) => {
        list = [{ sessionId: task.sessionId, state: 'idle', calls: 2 }];
        return {
          status: 'completed',
          exitCode: 0,
          stdout: '',
          stderr: '',
          truncated: false,
          durationMs: 1,
          sessionRestarted: true,
        };
      },
      sessions: () => list,
      closeSession: (id) => {
        const had = list.some((s) => s.sessionId === id);
        list = list.filter((s) => s.sessionId !== id);
        return had;
      },
    };
    const agent = Agent.create({
      handler,
      address: `unix://${path}`,
      clock: new ManualClock(),
      heartbeatIntervalMs: 999999,
    });
    try {
      await agent.start();
      const hello = received.find((m) => m.payload?.$case === 'hello')?.payload;
      expect(hello?.$case === 'hello' && hello.value.sessions.map((s) => [s.sessionId, s.calls])).toEqual([['s1', 1]]);
      const stream = hub.streams[0]!;
      stream.write({
        payload: {
          $case: 'assign',
          value: TaskAssignment.fromPartial({ taskId: 't1', tool: 'echo', sessionId: 's1', attempt: 1 }),
        },
      });
      await until(() => received.some((m) => m.payload?.$case === 'sessions'));
      const finished = received.find((m) => m.payload?.$case === 'finished')?.payload;
      expect(finished?.$case === 'finished' && finished.value.sessionRestarted).toBe(true);
      const update = received.find((m) => m.payload?.$case === 'sessions')?.payload;
      expect(update?.$case === 'sessions' && update.value.sessions.map((s) => s.calls)).toEqual([2]);
      stream.write({ payload: { $case: 'closeSession', value: { sessionId: 's1', reason: 'closed by request' } } });
      await until(() => received.some((m) => m.payload?.$case === 'sessionClosed'));
      const answer = received.find((m) => m.payload?.$case === 'sessionClosed')?.payload;
      expect(answer).toEqual({ $case: 'sessionClosed', value: { sessionId: 's1', closed: true } });
      await until(() => received.filter((m) => m.payload?.$case === 'sessions').length === 2);
      expect(list).toEqual([]);
    } finally {
      await agent.close({ force: true });
      hub.server.forceShutdown();
    }
  });
});
