import fc from 'fast-check';
import { AgentCapabilities, AgentMetadata, AgentType, RegisterRequest, TaskFinished, TaskState } from '@baaaht/proto';
import type { OrchestratorMessage } from '@baaaht/proto';
import { ManualClock } from '@baaaht/test-utils';
import { HubCore } from './hub-core';
import { quietLogger } from './logger';
import type { Logger } from './logger';
import { MemoryTaskStore } from './memory-task-store';
import type { HubCoreLimits } from './registration-limits';
import type { TaskStore } from './task-store';
import { FakeWorker } from './test-support/fake-worker';

function makeCore(store: TaskStore = new MemoryTaskStore(), clock = new ManualClock(), leaseMs = 1000) {
  const core = new HubCore({ store, leaseMs, clock, logger: quietLogger, knownTools: undefined });
  return { core, clock, store };
}

describe('HubCore close', () => {
  test('leaves no timer behind, even for streams that close() itself ends (nothing touches the closed store)', () => {
    const { core, clock } = makeCore();
    const connected = new FakeWorker(core, { slots: 1 });
    connected.register();
    connected.connect([], connected.token, { closedOnClose: true });
    core.submit({ taskId: 't-held', tool: 'echo' });
    const registeredOnly = new FakeWorker(core, { slots: 1 });
    registeredOnly.register();
    expect(clock.pending.length).toBeGreaterThan(0);
    core.close();
    connected.disconnect();
    expect(clock.pending).toEqual([]);
  });
});

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
      core.heartbeat({
        agentId: old.agentId,
        token: old.token,
        activeTasks: ['l1'],
        freeSlots: 1,
        draining: false,
        resources: undefined,
      }).reregister,
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
      core.heartbeat({
        agentId: 'nobody',
        token: '',
        activeTasks: [],
        freeSlots: 0,
        draining: false,
        resources: undefined,
      }).reregister,
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

// ---------------------------------------------------------------------------
// Worker identity and bounds (issue 11 item 2)

function recordingLogger(): { logger: Logger; warnings: { message: string; meta: Record<string, unknown> }[] } {
  const warnings: { message: string; meta: Record<string, unknown> }[] = [];
  return { warnings, logger: { ...quietLogger, warn: (message, meta = {}) => warnings.push({ message, meta }) } };
}

function limitedCore(limits: Partial<HubCoreLimits> = {}) {
  const clock = new ManualClock();
  const { logger, warnings } = recordingLogger();
  const core = new HubCore({
    store: new MemoryTaskStore(),
    leaseMs: 1000,
    clock,
    logger,
    knownTools: undefined,
    limits,
  });
  return { core, clock, warnings };
}

const beat = (agentId: string, token: string, draining: boolean) => ({
  agentId,
  token,
  draining,
  activeTasks: [],
  freeSlots: 1,
  resources: undefined,
});

function workerView(core: HubCore, agentId: string) {
  return core.listWorkers().find((w) => w.id === agentId);
}

describe('HubCore worker identity', () => {
  test('heartbeat draining=true with only the public id, a wrong token or another worker token fails UNAUTHENTICATED and changes nothing', () => {
    const { core, clock } = limitedCore();
    const victim = new FakeWorker(core);
    const rogue = new FakeWorker(core);
    victim.register();
    rogue.register();
    victim.connect();
    const before = workerView(core, victim.agentId);
    clock.advance(10);
    for (const token of ['', 'wrong', rogue.token, victim.token.slice(0, -1)]) {
      expect(() => core.heartbeat(beat(victim.agentId, token, true))).toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      );
    }
    expect(workerView(core, victim.agentId)).toEqual(before);
    core.submit({ taskId: 'still-mine', tool: 'echo' });
    expect(victim.assigned()).toEqual(['still-mine']);
  });

  test('unregister needs the worker own token; the public id or another token changes nothing', () => {
    const { core } = limitedCore();
    const victim = new FakeWorker(core);
    const rogue = new FakeWorker(core);
    victim.register();
    rogue.register();
    victim.connect();
    core.submit({ taskId: 'held', tool: 'echo' });
    for (const token of ['', 'nope', rogue.token]) {
      expect(() => core.unregister(victim.agentId, token)).toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      );
    }
    expect(victim.closedWith).toBeUndefined();
    expect(core.getTask('held')?.agentId).toBe(victim.agentId);
    expect(core.unregister('nobody', '')).toBe(false);
    expect(core.unregister(victim.agentId, victim.token)).toBe(true);
    expect(workerView(core, victim.agentId)).toBeUndefined();
  });

  test('Work hello with a stolen id and another worker token is refused; the real stream keeps working', () => {
    const { core, warnings } = limitedCore();
    const victim = new FakeWorker(core);
    const rogue = new FakeWorker(core);
    victim.register();
    rogue.register();
    victim.connect();
    const thief = new FakeWorker(core);
    thief.agentId = victim.agentId;
    for (const token of ['', rogue.token]) {
      thief.connect([], token);
      expect(thief.closedWith?.code).toBe('UNAUTHENTICATED');
    }
    expect(warnings.some((w) => w.meta['agentId'] === victim.agentId)).toBe(true);
    expect(victim.closedWith).toBeUndefined();
    core.submit({ taskId: 'v1', tool: 'echo' });
    expect(victim.assigned()).toEqual(['v1']);
    expect(thief.sent).toEqual([]);
  });

  test('finished, accepted, output and progress for a task not assigned to you are acked-and-ignored and logged', async () => {
    const { core, warnings } = limitedCore();
    const owner = new FakeWorker(core, { slots: 1 });
    const rogue = new FakeWorker(core, { slots: 1, labels: { pool: 'rogue' } });
    owner.register();
    rogue.register();
    owner.connect();
    rogue.connect();
    const recorded: string[] = [];
    core.on('task-finished', (id, _f, agentId) => recorded.push(`${id}:${agentId}`));
    core.submit({ taskId: 'mine', tool: 'echo' });
    expect(owner.assigned()).toEqual(['mine']);
    core.submit({ taskId: 'queued', tool: 'echo', selector: { pool: 'none' } });
    core.submit({ taskId: 'done', tool: 'echo', selector: { pool: 'rogue' } });
    expect(rogue.assigned()).toEqual(['done']);
    rogue.finish('done', 'legit');
    recorded.length = 0;
    const events: string[] = [];
    for (const id of ['mine', 'queued']) core.subscribe(id, (e) => events.push(`${id}:${e.payload?.$case ?? ''}`));

    for (const taskId of ['mine', 'queued', 'done', 'never-existed']) {
      rogue.send({ payload: { $case: 'accepted', value: { taskId, attempt: 1, startedAt: undefined } } });
      rogue.send({ payload: { $case: 'output', value: { taskId, stream: 1, data: Buffer.from('x'), offset: 0 } } });
      rogue.send({ payload: { $case: 'progress', value: { taskId, percent: 1, message: 'x', containerId: 'c' } } });
      rogue.finish(taskId, 'forged');
    }
    expect(rogue.of('ack').map((a) => a.taskId)).toEqual(['done', 'mine', 'queued', 'done', 'never-existed']);
    expect(recorded).toEqual([]);
    expect(events).toEqual([]);
    expect(core.getTask('mine')).toMatchObject({ state: TaskState.TASK_STATE_ASSIGNED, agentId: owner.agentId });
    expect(core.getTask('queued')).toMatchObject({ state: TaskState.TASK_STATE_QUEUED, agentId: '' });
    expect(core.getTask('done')?.finished?.stdout.toString()).toBe('legit');
    const ignored = warnings.filter((w) => w.message.startsWith('ignoring'));
    expect(ignored).toHaveLength(16);
    expect(ignored[3]?.meta).toMatchObject({ taskId: 'mine', agentId: rogue.agentId, assignedTo: owner.agentId });

    // The owner's report for a stale attempt is ignored too; for the current attempt it is recorded.
    owner.send({
      payload: { $case: 'finished', value: TaskFinished.fromPartial({ taskId: 'mine', state: 5, attempt: 7 }) },
    });
    expect(core.getTask('mine')?.finished).toBeUndefined();
    owner.send({
      payload: {
        $case: 'finished',
        value: TaskFinished.fromPartial({ taskId: 'mine', state: 5, attempt: 1, stdout: Buffer.from('real') }),
      },
    });
    expect((await core.result('mine')).stdout.toString()).toBe('real');
    expect(recorded).toEqual([`mine:${owner.agentId}`]);
  });

  test('hello cannot claim somebody else queued task; the worker it was taken from still gets it back', () => {
    const { core, clock } = limitedCore();
    const owner = new FakeWorker(core, { slots: 1, labels: { pool: 'p' } });
    const rogue = new FakeWorker(core, { slots: 1 });
    owner.register();
    rogue.register();
    owner.connect();
    core.submit({ taskId: 't', tool: 'echo', selector: { pool: 'p' } });
    owner.disconnect();
    clock.advance(1500);
    expect(core.getTask('t')?.state).toBe(TaskState.TASK_STATE_QUEUED);
    rogue.connect(['t']);
    expect(core.getTask('t')).toMatchObject({ state: TaskState.TASK_STATE_QUEUED, agentId: '' });
    expect(rogue.of('cancel').map((c) => c.taskId)).toEqual(['t']);
    rogue.finish('t', 'forged');
    expect(core.getTask('t')?.finished).toBeUndefined();
    owner.connect(['t']);
    expect(core.getTask('t')).toMatchObject({ state: TaskState.TASK_STATE_RUNNING, agentId: owner.agentId });
  });

  test('draining is the worker own state: its heartbeat sets and clears it, nobody else can', () => {
    const { core } = limitedCore();
    const w = new FakeWorker(core);
    w.register();
    w.connect();
    core.heartbeat(beat(w.agentId, w.token, true));
    expect(workerView(core, w.agentId)?.draining).toBe(true);
    core.submit({ taskId: 'wait', tool: 'echo' });
    expect(w.assigned()).toEqual([]);
    expect(() => core.heartbeat(beat(w.agentId, '', false))).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
    expect(workerView(core, w.agentId)?.draining).toBe(true);
    core.heartbeat(beat(w.agentId, w.token, false));
    expect(workerView(core, w.agentId)?.draining).toBe(false);
    expect(w.assigned()).toEqual([]); // dispatch runs on the next event
    core.submit({ taskId: 'go', tool: 'echo' });
    expect(w.assigned()).toEqual(['wait', 'go']);
  });
});

describe('HubCore bounds', () => {
  const register = (core: HubCore, fields: Partial<RegisterRequest>) =>
    core.register(RegisterRequest.fromPartial({ name: 'w', type: AgentType.AGENT_TYPE_WORKER, ...fields }));

  test('oversized names, labels and lists fail INVALID_ARGUMENT naming the limit, and register nothing', () => {
    const { core } = limitedCore();
    const labels = (n: number, key = (i: number) => `k${i}`, value = 'v') =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), value]));
    const cases: [Partial<RegisterRequest>, string][] = [
      [{ name: 'n'.repeat(129) }, 'name: at most 128 bytes, got 129'],
      [{ name: 'é'.repeat(65) }, 'name: at most 128 bytes, got 130'],
      [{ metadata: AgentMetadata.fromPartial({ labels: labels(40) }) }, 'labels: at most 32, got 40'],
      [
        { metadata: AgentMetadata.fromPartial({ labels: labels(1, () => 'k'.repeat(65)) }) },
        'at most 64 bytes, got 65',
      ],
      [{ metadata: AgentMetadata.fromPartial({ labels: labels(1, () => 'k', 'v'.repeat(257)) }) }, 'at most 256 bytes'],
      [{ metadata: AgentMetadata.fromPartial({ hostname: 'h'.repeat(300) }) }, 'metadata.hostname: at most 256'],
      [{ metadata: AgentMetadata.fromPartial({ tags: Array(129).fill('t') }) }, 'metadata.tags: at most 128 entries'],
      [
        { capabilities: AgentCapabilities.fromPartial({ supportedTools: Array(200).fill('echo') }) },
        'capabilities.supported_tools: at most 128 entries, got 200',
      ],
      [
        { capabilities: AgentCapabilities.fromPartial({ supportedProtocols: ['p'.repeat(129)] }) },
        'capabilities.supported_protocols[0]: at most 128 bytes',
      ],
    ];
    for (const [fields, message] of cases) {
      expect(() => register(core, fields)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) }),
      );
    }
    expect(core.registrations).toBe(0);
    const max = register(core, {
      name: 'n'.repeat(128),
      metadata: AgentMetadata.fromPartial({ labels: labels(32, (i) => `${i}`.padEnd(64, 'k'), 'v'.repeat(256)) }),
      capabilities: AgentCapabilities.fromPartial({ supportedTools: Array(128).fill('t'.repeat(128)) }),
    });
    expect(max.agentId).not.toBe('');
    expect(core.registrations).toBe(1);
  });

  test('a registration that never opens a Work stream expires after registrationTtlMs; an idle disconnected one too', () => {
    const { core, clock } = limitedCore({ registrationTtlMs: 1000 });
    const lurker = new FakeWorker(core);
    const real = new FakeWorker(core);
    lurker.register();
    real.register();
    real.connect();
    // Heartbeats do not keep a registration that never opened Work alive.
    clock.advance(600);
    core.heartbeat(beat(lurker.agentId, lurker.token, false));
    clock.advance(399);
    expect(core.registrations).toBe(2);
    clock.advance(1);
    expect(workerView(core, lurker.agentId)).toBeUndefined();
    expect(core.heartbeat(beat(lurker.agentId, lurker.token, false)).reregister).toBe(true);
    clock.advance(10_000);
    expect(workerView(core, real.agentId)?.connected).toBe(true);
    // Once its stream closed, heartbeats keep it; silence and no tasks for the TTL drop it.
    real.disconnect();
    clock.advance(900);
    core.heartbeat(beat(real.agentId, real.token, false));
    clock.advance(900);
    expect(core.registrations).toBe(1);
    clock.advance(200);
    expect(core.registrations).toBe(0);
  });

  test('at most maxRegistrations live registrations: Register beyond it fails RESOURCE_EXHAUSTED until some expire', () => {
    const { core, clock } = limitedCore({ maxRegistrations: 3, registrationTtlMs: 1000 });
    const workers = Array.from({ length: 3 }, () => new FakeWorker(core));
    for (const w of workers) w.register();
    const late = new FakeWorker(core);
    expect(() => late.register()).toThrow(expect.objectContaining({ code: 'RESOURCE_EXHAUSTED' }));
    // A resume of a live session is not a new registration.
    expect(workers[0]?.register({ agentId: workers[0].agentId, token: workers[0].token })).toBe(true);
    clock.advance(1000);
    expect(core.registrations).toBe(0);
    late.register();
    late.connect();
    core.submit({ taskId: 'after', tool: 'echo' });
    expect(late.assigned()).toEqual(['after']);
  });

  test('ListWorkers pages in id order, caps the page size and stays under the byte budget', () => {
    const { core } = limitedCore({ maxListWorkersPageSize: 3 });
    const ids = Array.from({ length: 7 }, () => {
      const w = new FakeWorker(core);
      w.register();
      return w.agentId;
    }).sort();
    const seen: string[] = [];
    const sizes: number[] = [];
    let token = '';
    do {
      const page = core.listWorkersPage(1000, token);
      sizes.push(page.workers.length);
      seen.push(...page.workers.map((w) => w.id));
      token = page.nextPageToken;
    } while (token !== '');
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(ids);
    expect(core.listWorkersPage(2, '').workers).toHaveLength(2);
    expect(() => core.listWorkersPage(-1, '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => core.listWorkersPage(0, '!!')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^page_token/) }),
    );

    const tight = limitedCore({ listWorkersPageBytes: 1 });
    for (let i = 0; i < 3; i++) new FakeWorker(tight.core).register();
    const first = tight.core.listWorkersPage(0, '');
    expect(first.workers).toHaveLength(1);
    expect(first.nextPageToken).not.toBe('');
  });
});

describe('HubCore ListTasks', () => {
  test('lists newest first with the worker name, filters, pages, and carries no output or parameters', () => {
    const { core, clock } = limitedCore({ maxListTasksPageSize: 2 });
    const w = new FakeWorker(core, { tools: ['echo', 'grep'], slots: 1 });
    w.register();
    w.connect();
    core.submit({ taskId: 'done', tool: 'echo', params: { text: 'x'.repeat(1000) } });
    w.send({ payload: { $case: 'accepted', value: { taskId: 'done', attempt: 1, startedAt: undefined } } });
    w.finish('done', 'y'.repeat(1000));
    clock.advance(10);
    core.submit({ taskId: 'running', tool: 'grep' });
    clock.advance(10);
    core.submit({ taskId: 'queued', tool: 'echo' });

    const seen: string[] = [];
    let token = '';
    do {
      const page = core.listTasksPage(0, token);
      expect(page.tasks.length).toBeLessThanOrEqual(2);
      seen.push(...page.tasks.map((t) => t.id));
      token = page.nextPageToken;
    } while (token !== '');
    expect(seen).toEqual(['queued', 'running', 'done']);

    const [done] = core.listTasksPage(0, '', { states: [TaskState.TASK_STATE_COMPLETED] }).tasks;
    expect(done).toMatchObject({ id: 'done', name: 'echo', agentId: w.agentId, agentName: 'fake', attempts: 1 });
    expect(done?.finished?.stdout).toHaveLength(0);
    expect(done?.finished?.durationMs).toBe(1);
    expect(done?.assignment?.params).toBeUndefined();
    expect(done?.result).toBeUndefined();
    // GetTaskStatus still has everything.
    expect(Buffer.from(core.getTask('done')?.finished?.stdout ?? []).toString()).toBe('y'.repeat(1000));

    expect(core.listTasksPage(0, '', { tool: 'grep' }).tasks.map((t) => [t.id, t.agentName])).toEqual([
      ['running', 'fake'],
    ]);
    expect(core.listTasksPage(0, '', { worker: 'fake' }).tasks.map((t) => t.id)).toEqual(['running', 'done']);
    expect(core.listTasksPage(0, '', { worker: w.agentId, states: [TaskState.TASK_STATE_QUEUED] }).tasks).toEqual([]);
    expect(() => core.listTasksPage(-1, '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => core.listTasksPage(0, 'bm9wZQ')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^page_token/) }),
    );
  });

  test('a page stays under the byte budget, always holding at least one task', () => {
    const { core } = limitedCore({ listTasksPageBytes: 1 });
    for (let i = 0; i < 3; i++) core.submit({ taskId: `t${i}`, tool: 'echo' });
    const first = core.listTasksPage(0, '');
    expect(first.tasks).toHaveLength(1);
    expect(first.nextPageToken).not.toBe('');
    expect(core.listTasksPage(0, first.nextPageToken).tasks.map((t) => t.id)).toEqual(['t1']);
  });

  test('a requeued task forgets its worker; the worker that finishes it is named even after it is gone', () => {
    const { core } = makeCore();
    const first = new FakeWorker(core, { slots: 1 });
    first.register();
    first.connect();
    core.submit({ taskId: 't', tool: 'echo' });
    expect(core.getTask('t')?.agentName).toBe('fake');
    first.send({ payload: { $case: 'rejected', value: { taskId: 't', code: 'NO_CAPACITY', message: '' } } });
    expect(core.getTask('t')).toMatchObject({ state: TaskState.TASK_STATE_QUEUED, agentId: '', agentName: '' });
    const second = new FakeWorker(core, { slots: 1 });
    second.register();
    second.connect();
    second.finish('t');
    expect(core.unregister(second.agentId, second.token)).toBe(true);
    expect(core.getTask('t')).toMatchObject({ agentId: second.agentId, agentName: 'fake' });
  });
});
