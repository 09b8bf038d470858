import fc from 'fast-check';
import { AgentType, RegisterRequest, TaskFinished, TaskState } from '@baaaht/proto';
import type { OrchestratorMessage, WorkerMessage } from '@baaaht/proto';
import type { HubClock } from './clock';
import type { HubError } from './errors';
import { HubCore } from './hub-core';
import type { WorkConnection } from './hub-core';
import { silentLogger } from './logger';
import { MemoryTaskStore } from './memory-task-store';
import type { TaskStore } from './task-store';

type Payload = NonNullable<OrchestratorMessage['payload']>;
type PayloadOf = { [P in Payload as P['$case']]: P['value'] };

class ManualClock implements HubClock {
  t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

/** A worker seen from the hub: registers, opens a Work stream with fake channels, records what it is sent. */
class FakeWorker {
  readonly sent: OrchestratorMessage[] = [];
  closedWith: HubError | undefined;
  agentId = '';
  token = '';
  conn: WorkConnection | undefined;

  constructor(
    private readonly core: HubCore,
    readonly options: { tools?: string[]; slots?: number; labels?: Record<string, string> } = {},
  ) {}

  register(resume?: { agentId: string; token: string }): boolean {
    const res = this.core.register(
      RegisterRequest.fromPartial({
        name: 'fake',
        type: AgentType.AGENT_TYPE_WORKER,
        metadata: { labels: this.options.labels ?? {} },
        capabilities: { supportedTools: this.options.tools ?? ['echo'], maxConcurrentTasks: this.options.slots ?? 2 },
        resumeAgentId: resume?.agentId ?? '',
        resumeToken: resume?.token ?? '',
      }),
    );
    this.agentId = res.agentId;
    this.token = res.registrationToken;
    return res.resumed;
  }

  connect(running: string[] = [], token = this.token): void {
    this.closedWith = undefined;
    this.conn = this.core.openWork({
      send: (m) => this.sent.push(m),
      close: (error) => {
        this.closedWith = error;
      },
    });
    this.send({
      payload: {
        $case: 'hello',
        value: {
          agentId: this.agentId,
          token,
          maxSlots: this.options.slots ?? 2,
          freeSlots: this.options.slots ?? 2,
          runningTaskIds: running,
          draining: false,
        },
      },
    });
  }

  send(message: WorkerMessage): void {
    this.conn?.message(message);
  }

  disconnect(): void {
    this.conn?.closed();
    this.conn = undefined;
  }

  of<K extends keyof PayloadOf>(kind: K): PayloadOf[K][] {
    const out: PayloadOf[K][] = [];
    for (const m of this.sent) if (m.payload?.$case === kind) out.push(m.payload.value as PayloadOf[K]);
    return out;
  }

  assigned(): string[] {
    return this.of('assign').map((a) => a.taskId);
  }

  finish(taskId: string, text = 'ok', state = TaskState.TASK_STATE_COMPLETED): void {
    this.send({
      payload: {
        $case: 'finished',
        value: TaskFinished.fromPartial({ taskId, state, stdout: Buffer.from(text), durationMs: 1 }),
      },
    });
  }
}

function makeCore(store: TaskStore = new MemoryTaskStore(), clock = new ManualClock(), leaseMs = 1000) {
  const core = new HubCore({ store, leaseMs, clock, logger: silentLogger, knownTools: undefined });
  return { core, clock, store };
}

describe('HubCore dispatch', () => {
  test('push dispatch respects the advertised slots and fills a freed slot at once', () => {
    const { core } = makeCore();
    const w = new FakeWorker(core, { slots: 2 });
    w.register();
    w.connect();
    for (let i = 0; i < 5; i++) core.submit({ taskId: `t${i}`, tool: 'echo' });
    expect(w.assigned()).toEqual(['t0', 't1']);
    w.finish('t0');
    expect(w.assigned()).toEqual(['t0', 't1', 't2']);
    expect(w.of('ack').map((a) => a.taskId)).toEqual(['t0']);
    w.send({ payload: { $case: 'flow', value: { maxSlots: 4, freeSlots: 3, draining: false } } });
    expect(w.assigned()).toEqual(['t0', 't1', 't2', 't3', 't4']);
  });

  test('property: never more outstanding than advertised, whatever the worker does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('submit' as const) }),
            fc.record({ op: fc.constant('finish' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('reject' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('flow' as const), slots: fc.integer({ min: 1, max: 5 }) }),
            fc.record({ op: fc.constant('reconnect' as const) }),
          ),
          { maxLength: 60 },
        ),
        (initial, ops) => {
          const { core } = makeCore();
          const w = new FakeWorker(core, { slots: initial });
          let advertised = initial;
          const outstanding = new Set<string>();
          let violations = 0;
          w.register();
          const origPush = w.sent.push.bind(w.sent);
          w.sent.push = (...items: OrchestratorMessage[]) => {
            for (const m of items) {
              if (m.payload?.$case === 'assign') {
                if (outstanding.size >= advertised || outstanding.has(m.payload.value.taskId)) violations++;
                outstanding.add(m.payload.value.taskId);
              }
            }
            return origPush(...items);
          };
          w.connect();
          let n = 0;
          for (const op of ops) {
            const held = [...outstanding];
            if (op.op === 'submit') core.submit({ taskId: `p${n++}`, tool: 'echo' });
            else if (op.op === 'finish' && held.length > 0) {
              const id = held[op.pick % held.length] as string;
              outstanding.delete(id);
              w.finish(id);
            } else if (op.op === 'reject' && held.length > 0) {
              const id = held[op.pick % held.length] as string;
              outstanding.delete(id);
              w.send({ payload: { $case: 'rejected', value: { taskId: id, code: 'NO_CAPACITY', message: '' } } });
              // Rejection blocks the worker until it speaks again; a flow message unblocks it.
              w.send({ payload: { $case: 'flow', value: { maxSlots: advertised, freeSlots: 0, draining: false } } });
            } else if (op.op === 'flow') {
              advertised = op.slots;
              w.send({ payload: { $case: 'flow', value: { maxSlots: op.slots, freeSlots: 0, draining: false } } });
            } else if (op.op === 'reconnect') {
              w.disconnect();
              w.options.slots = advertised;
              w.connect([...outstanding]);
            }
          }
          return violations === 0;
        },
      ),
      { numRuns: 200 },
    );
  });

  test('tasks go only to workers that have the tool and match the selector', () => {
    const { core } = makeCore();
    const a = new FakeWorker(core, { tools: ['echo'], labels: { pool: 'a' } });
    const b = new FakeWorker(core, { tools: ['grep'], labels: { pool: 'b' } });
    a.register();
    b.register();
    a.connect();
    b.connect();
    core.submit({ taskId: 'x1', tool: 'grep' });
    core.submit({ taskId: 'x2', tool: 'echo', selector: { pool: 'b' } });
    core.submit({ taskId: 'x3', tool: 'echo', selector: { pool: 'a' } });
    expect(b.assigned()).toEqual(['x1']);
    expect(a.assigned()).toEqual(['x3']);
    expect(core.getTask('x2')?.state).toBe(TaskState.TASK_STATE_QUEUED);
  });

  test('a draining worker gets nothing new; a rejected task is re-queued for another worker', () => {
    const { core } = makeCore();
    const a = new FakeWorker(core);
    a.register();
    a.connect();
    core.submit({ taskId: 'r1', tool: 'echo' });
    expect(a.assigned()).toEqual(['r1']);
    const b = new FakeWorker(core);
    b.register();
    b.connect();
    a.send({ payload: { $case: 'rejected', value: { taskId: 'r1', code: 'DRAINING', message: '' } } });
    expect(b.assigned()).toEqual(['r1']);
    core.submit({ taskId: 'r2', tool: 'echo' });
    expect(a.assigned()).toEqual(['r1']);
    expect(b.assigned()).toEqual(['r1', 'r2']);
  });

  test('submitting an existing id returns the existing task', () => {
    const { core } = makeCore();
    expect(core.submit({ taskId: 'same', tool: 'echo' })).toMatchObject({ created: true });
    expect(core.submit({ taskId: 'same', tool: 'grep' })).toMatchObject({
      created: false,
      state: TaskState.TASK_STATE_QUEUED,
    });
    expect(core.getTask('same')?.assignment?.tool).toBe('echo');
  });
});

describe('HubCore results', () => {
  test('the first terminal result wins; duplicates are acked and ignored', async () => {
    const { core } = makeCore();
    const w = new FakeWorker(core);
    const finished: string[] = [];
    core.on('task-finished', (id) => finished.push(id));
    w.register();
    w.connect();
    core.submit({ taskId: 'd1', tool: 'echo' });
    w.finish('d1', 'first');
    w.finish('d1', 'second', TaskState.TASK_STATE_FAILED);
    expect(w.of('ack').map((a) => a.taskId)).toEqual(['d1', 'd1']);
    expect(finished).toEqual(['d1']);
    const result = await core.result('d1');
    expect(result.stdout.toString()).toBe('first');
    expect(core.getTask('d1')?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  test('a result for an unknown task is acked so the worker can forget it', () => {
    const { core } = makeCore();
    const w = new FakeWorker(core);
    w.register();
    w.connect();
    w.finish('ghost');
    expect(w.of('ack').map((a) => a.taskId)).toEqual(['ghost']);
  });
});

describe('HubCore leases and reconnects', () => {
  test('a disconnected worker keeps its tasks while heartbeats renew the lease; expiry re-queues to another worker', () => {
    const { core, clock } = makeCore(undefined, undefined, 1000);
    const requeued: string[] = [];
    core.on('task-requeued', (id, reason) => requeued.push(`${id}:${reason}`));
    const old = new FakeWorker(core);
    old.register();
    old.connect();
    core.submit({ taskId: 'l1', tool: 'echo' });
    expect(old.assigned()).toEqual(['l1']);
    old.disconnect();
    const other = new FakeWorker(core);
    other.register();
    other.connect();
    clock.advance(900);
    expect(
      core.heartbeat({ agentId: old.agentId, activeTasks: ['l1'], freeSlots: 1, draining: false, resources: undefined })
        .reregister,
    ).toBe(false);
    clock.advance(900);
    expect(other.assigned()).toEqual([]);
    clock.advance(200);
    expect(requeued).toEqual(['l1:lease expired']);
    expect(other.of('assign').map((a) => [a.taskId, a.attempt])).toEqual([['l1', 2]]);

    // The old worker comes back still running it: it is told to stop, and its late result is ignored.
    old.connect(['l1']);
    expect(old.of('cancel')).toEqual([expect.objectContaining({ taskId: 'l1', force: true })]);
    old.finish('l1', 'stale');
    expect(old.of('ack').map((a) => a.taskId)).toEqual(['l1']);
    expect(core.getTask('l1')?.state).toBe(TaskState.TASK_STATE_ASSIGNED);
    other.finish('l1', 'fresh');
    expect(core.getTask('l1')?.finished?.stdout.toString()).toBe('fresh');
    expect(core.getTask('l1')?.agentId).toBe(other.agentId);
  });

  test('a reconnecting worker that lost a task gets it re-queued; one that still runs it keeps it', () => {
    const { core } = makeCore();
    const w = new FakeWorker(core, { slots: 2 });
    w.register();
    w.connect();
    core.submit({ taskId: 'k1', tool: 'echo' });
    core.submit({ taskId: 'k2', tool: 'echo' });
    w.disconnect();
    w.connect(['k1']);
    expect(w.of('welcome')[1]?.expectedTaskIds.sort()).toEqual(['k1', 'k2']);
    // k2 was lost: re-queued and, the worker having room again, re-assigned.
    expect(w.assigned()).toEqual(['k1', 'k2', 'k2']);
    expect(core.getTask('k2')?.attempts).toBe(2);
    expect(core.getTask('k1')?.attempts).toBe(1);
  });

  test('hello with a bad token ends the stream with UNAUTHENTICATED; hello must come first', () => {
    const { core } = makeCore();
    const w = new FakeWorker(core);
    w.register();
    w.connect([], 'wrong');
    expect(w.closedWith?.code).toBe('UNAUTHENTICATED');
    const x = new FakeWorker(core);
    x.conn = core.openWork({ send: () => undefined, close: (error) => (x.closedWith = error) });
    x.send({ payload: { $case: 'flow', value: { maxSlots: 1, freeSlots: 1, draining: false } } });
    expect(x.closedWith?.code).toBe('INVALID_ARGUMENT');
  });

  test('resume with id and token keeps the agent id; an unknown resume registers anew', () => {
    const { core } = makeCore();
    const w = new FakeWorker(core);
    w.register();
    const first = { agentId: w.agentId, token: w.token };
    expect(w.register(first)).toBe(true);
    expect(w.agentId).toBe(first.agentId);
    expect(w.register({ agentId: 'not-known', token: 'x' })).toBe(false);
    expect(w.agentId).not.toBe(first.agentId);
    expect(
      core.heartbeat({ agentId: 'nobody', activeTasks: [], freeSlots: 0, draining: false, resources: undefined })
        .reregister,
    ).toBe(true);
  });

  test('a restarted hub recovers queued tasks, held tasks and sessions from its store', () => {
    const store = new MemoryTaskStore();
    const clock = new ManualClock();
    const { core: before } = makeCore(store, clock);
    const w = new FakeWorker(before);
    w.register();
    w.connect();
    before.submit({ taskId: 'held', tool: 'echo' });
    before.submit({ taskId: 'queued', tool: 'echo', selector: { pool: 'none' } });

    const { core: after } = makeCore(store, clock);
    const back = new FakeWorker(after);
    expect(back.register({ agentId: w.agentId, token: w.token })).toBe(true);
    back.connect(['held']);
    expect(back.of('welcome')[0]?.expectedTaskIds).toEqual(['held']);
    expect(back.assigned()).toEqual([]);
    back.finish('held', 'after restart');
    expect(after.getTask('held')?.finished?.stdout.toString()).toBe('after restart');
    expect(after.getTask('queued')?.state).toBe(TaskState.TASK_STATE_QUEUED);
  });
});

describe('HubCore cancellation', () => {
  test('a queued task is cancelled at once; an assigned one gets cancel pushed', async () => {
    const { core } = makeCore();
    core.submit({ taskId: 'q', tool: 'echo' });
    expect(core.cancel('q', false)).toMatchObject({ cancelled: true, state: TaskState.TASK_STATE_CANCELLED });
    expect((await core.result('q')).error?.code).toBe('CANCELLED');

    const w = new FakeWorker(core);
    w.register();
    w.connect();
    core.submit({ taskId: 'a', tool: 'echo' });
    expect(core.cancel('a', true)).toMatchObject({ cancelled: true });
    expect(w.of('cancel')).toEqual([expect.objectContaining({ taskId: 'a', force: true })]);
    expect(() => core.cancel('missing', false)).toThrow(expect.objectContaining({ code: 'TASK_NOT_FOUND' }));
  });

  test('a cancelled task whose worker vanished finishes as CANCELLED instead of running again', async () => {
    const { core, clock } = makeCore();
    const w = new FakeWorker(core);
    w.register();
    w.connect();
    core.submit({ taskId: 'gone', tool: 'echo' });
    w.disconnect();
    core.cancel('gone', true);
    clock.advance(1500);
    expect((await core.result('gone')).state).toBe(TaskState.TASK_STATE_CANCELLED);
  });

  test('closing rejects pending result promises with HUB_CLOSED', async () => {
    const { core } = makeCore();
    core.submit({ taskId: 'p', tool: 'echo' });
    const pending = core.result('p');
    core.close();
    await expect(pending).rejects.toMatchObject({ code: 'HUB_CLOSED' });
    expect(() => core.submit({ tool: 'echo' })).toThrow(expect.objectContaining({ code: 'HUB_CLOSED' }));
  });
});
