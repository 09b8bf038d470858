import { ManualClock, RecordingMeter } from '@baaaht/test-utils';
import { TaskState } from '@baaaht/proto';
import { HubCore } from './hub-core';
import { DISPATCH_LATENCY_BUCKETS, TASK_DURATION_BUCKETS } from './hub-metrics';
import { quietLogger } from './logger';
import { MemoryTaskStore } from './memory-task-store';
import { FakeWorker } from './test-support/fake-worker';

function meteredCore(leaseMs = 1000) {
  const meter = new RecordingMeter();
  const clock = new ManualClock();
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

const workers = (meter: RecordingMeter): Record<string, number | undefined> =>
  Object.fromEntries(
    ['registered', 'streaming', 'draining', 'full', 'disconnected'].map((state) => [
      state,
      meter.last('baaaht_hub_workers', { state }),
    ]),
  );

describe('hub metrics', () => {
  test('defines every instrument with its agreed name, labels and buckets', () => {
    const { meter } = meteredCore();
    const defs = Object.fromEntries(
      [...meter.definitions.values()].map((d) => [d.name, { kind: d.kind, labels: d.labelNames ?? [] }]),
    );
    expect(defs).toEqual({
      baaaht_hub_tasks_submitted_total: { kind: 'counter', labels: ['tool'] },
      baaaht_hub_tasks_finished_total: { kind: 'counter', labels: ['tool', 'state'] },
      baaaht_hub_tasks_requeued_total: { kind: 'counter', labels: ['reason'] },
      baaaht_hub_dispatch_latency_seconds: { kind: 'histogram', labels: ['tool'] },
      baaaht_hub_task_duration_seconds: { kind: 'histogram', labels: ['tool', 'state'] },
      baaaht_hub_tasks_queued: { kind: 'gauge', labels: [] },
      baaaht_hub_tasks_running: { kind: 'gauge', labels: [] },
      baaaht_hub_workers: { kind: 'gauge', labels: ['state'] },
      baaaht_hub_sessions: { kind: 'gauge', labels: ['state'] },
      baaaht_hub_session_moves_total: { kind: 'counter', labels: ['reason'] },
    });
    expect(meter.definitions.get('baaaht_hub_dispatch_latency_seconds')?.buckets).toEqual([
      0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60,
    ]);
    expect(DISPATCH_LATENCY_BUCKETS).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60]);
    expect(meter.definitions.get('baaaht_hub_task_duration_seconds')?.buckets).toEqual(TASK_DURATION_BUCKETS);
    expect(TASK_DURATION_BUCKETS).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]);
  });

  test('counts submissions once, times dispatch from enqueue and duration from submit, on the injected clock', () => {
    const { core, clock, meter } = meteredCore();
    core.submit({ taskId: 't1', tool: 'echo' });
    core.submit({ taskId: 't1', tool: 'echo' }); // resubmission of the same id: not a new task
    expect(meter.total('baaaht_hub_tasks_submitted_total', { tool: 'echo' })).toBe(1);
    expect(meter.last('baaaht_hub_tasks_queued')).toBe(1);
    expect(meter.last('baaaht_hub_tasks_running')).toBe(0);

    clock.advance(250);
    const w = new FakeWorker(core, { slots: 1 });
    w.register();
    w.connect();
    expect(w.assigned()).toEqual(['t1']);
    expect(meter.values('baaaht_hub_dispatch_latency_seconds', { tool: 'echo' })).toEqual([0.25]);
    expect(meter.last('baaaht_hub_tasks_queued')).toBe(0);
    expect(meter.last('baaaht_hub_tasks_running')).toBe(1);

    clock.advance(1000);
    w.finish('t1');
    w.finish('t1', 'again'); // a duplicate result is acked and ignored, and not counted
    expect(meter.total('baaaht_hub_tasks_finished_total', { tool: 'echo', state: 'completed' })).toBe(1);
    expect(meter.values('baaaht_hub_task_duration_seconds', { tool: 'echo', state: 'completed' })).toEqual([1.25]);
    expect(meter.last('baaaht_hub_tasks_running')).toBe(0);
  });

  test('counts final states by name, a cancelled queued task included', () => {
    const { core, meter } = meteredCore();
    core.submit({ taskId: 'c', tool: 'grep' });
    core.cancel('c', false);
    const w = new FakeWorker(core, { tools: ['echo'] });
    w.register();
    w.connect();
    core.submit({ taskId: 'f', tool: 'echo' });
    w.finish('f', '', TaskState.TASK_STATE_FAILED);
    expect(meter.total('baaaht_hub_tasks_finished_total', { tool: 'grep', state: 'cancelled' })).toBe(1);
    expect(meter.total('baaaht_hub_tasks_finished_total', { tool: 'echo', state: 'failed' })).toBe(1);
    expect(meter.total('baaaht_hub_tasks_finished_total')).toBe(2);
    expect(meter.last('baaaht_hub_tasks_queued')).toBe(0);
  });

  test('counts requeues by a closed set of reasons, and times the next dispatch from the requeue', () => {
    const { core, clock, meter } = meteredCore(1000);
    const a = new FakeWorker(core, { slots: 1 });
    a.register();
    a.connect();
    core.submit({ taskId: 'lease', tool: 'echo' });
    a.disconnect();
    clock.advance(1000);
    expect(meter.total('baaaht_hub_tasks_requeued_total', { reason: 'lease_expired' })).toBe(1);
    expect(meter.last('baaaht_hub_tasks_queued')).toBe(1);

    clock.advance(40);
    const b = new FakeWorker(core, { slots: 1 });
    b.register();
    b.connect();
    expect(b.assigned()).toEqual(['lease']);
    expect(meter.values('baaaht_hub_dispatch_latency_seconds')).toEqual([0, 0.04]);

    b.send({ payload: { $case: 'rejected', value: { taskId: 'lease', code: 'NO_CAPACITY', message: '' } } });
    expect(meter.total('baaaht_hub_tasks_requeued_total', { reason: 'rejected' })).toBe(1);

    b.send({ payload: { $case: 'flow', value: { maxSlots: 1, freeSlots: 1, draining: false } } });
    expect(b.assigned()).toEqual(['lease', 'lease']);
    b.connect([]); // reconnects without the task
    expect(meter.total('baaaht_hub_tasks_requeued_total', { reason: 'worker_lost_task' })).toBe(1);

    expect(b.assigned()).toEqual(['lease', 'lease', 'lease']);
    expect(core.unregister(b.agentId, b.token)).toBe(true);
    expect(meter.total('baaaht_hub_tasks_requeued_total', { reason: 'worker_gone' })).toBe(1);
    expect(meter.total('baaaht_hub_tasks_requeued_total')).toBe(4);
  });

  test('counts workers by state: registered, streaming, draining, full, disconnected', () => {
    const { core, meter } = meteredCore();
    expect(workers(meter)).toEqual({ registered: 0, streaming: 0, draining: 0, full: 0, disconnected: 0 });
    const w = new FakeWorker(core, { slots: 1 });
    w.register();
    expect(workers(meter)).toMatchObject({ registered: 1, streaming: 0 });
    w.connect();
    expect(workers(meter)).toMatchObject({ registered: 0, streaming: 1 });
    core.submit({ taskId: 't', tool: 'echo' });
    w.send({ payload: { $case: 'rejected', value: { taskId: 't', code: 'NO_CAPACITY', message: '' } } });
    expect(workers(meter)).toMatchObject({ streaming: 0, full: 1 });
    w.send({ payload: { $case: 'flow', value: { maxSlots: 1, freeSlots: 0, draining: true } } });
    expect(workers(meter)).toMatchObject({ full: 0, draining: 1 });
    w.disconnect();
    expect(workers(meter)).toEqual({ registered: 0, streaming: 0, draining: 0, full: 0, disconnected: 1 });
    core.unregister(w.agentId, w.token);
    expect(workers(meter)).toEqual({ registered: 0, streaming: 0, draining: 0, full: 0, disconnected: 0 });
  });
});
