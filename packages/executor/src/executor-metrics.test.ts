import type { RecordingMeter } from '@baaaht/test-utils';
import { EXECUTOR_METRICS } from './metrics';
import type { PolicyEnforcer } from './policy-enforcer';
import { TASK_STATUSES } from './task-types';
import { closeHarnesses, harness, settled, until } from './test-support/runtime-fixture';

/** What the executor emits through its MetricMeter, on the fake step runtime. */

afterEach(closeHarnesses);

describe('metrics through the MetricMeter', () => {
  const statuses = (meter: RecordingMeter, tool: string): Record<string, number> =>
    Object.fromEntries(TASK_STATUSES.map((status) => [status, meter.total(EXECUTOR_METRICS.tasks, { tool, status })]));

  it('defines every metric and emits a zero for every catalog tool and status at creation', async () => {
    const h = await harness();
    expect([...h.meter.definitions.keys()].sort()).toEqual(Object.values(EXECUTOR_METRICS).sort());
    expect(h.meter.definitions.get(EXECUTOR_METRICS.taskDuration)?.buckets).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
    ]);
    expect(h.meter.definitions.get(EXECUTOR_METRICS.containerStart)?.buckets).toEqual([
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ]);
    for (const tool of ['echo', 'two_step']) {
      for (const status of TASK_STATUSES) {
        const zero = h.meter.samples.filter(
          (s) => s.name === EXECUTOR_METRICS.tasks && s.labels.tool === tool && s.labels.status === status,
        );
        expect(zero).toEqual([{ kind: 'counter', name: EXECUTOR_METRICS.tasks, value: 0, labels: { tool, status } }]);
      }
    }
    for (const event of ['created', 'removed', 'reaped'])
      expect(h.meter.samples).toContainEqual(
        expect.objectContaining({ name: EXECUTOR_METRICS.containers, value: 0, labels: { event } }),
      );
    for (const decision of ['allowed', 'denied'])
      expect(h.meter.samples).toContainEqual(
        expect.objectContaining({ name: EXECUTOR_METRICS.egressDecisions, value: 0, labels: { decision } }),
      );
    expect(h.meter.last(EXECUTOR_METRICS.tasksActive)).toBe(0);
    expect(h.meter.last(EXECUTOR_METRICS.tasksQueued)).toBe(0);
  });

  it('counts completed, failed, oom, denied and error tasks per tool, with their durations', async () => {
    const deny = { value: false };
    const policy: PolicyEnforcer = {
      enforce(req) {
        if (deny.value)
          throw Object.assign(new Error('no'), { code: 'POLICY_DENIED', violations: [{ rule: 'images.allow' }] });
        return req;
      },
    };
    const h = await harness({ policy });
    const scripts = [{}, { exitCode: 1 }, { oom: true }];
    for (const script of scripts) {
      h.runtime.script = () => {
        h.clock.advance(250);
        return script;
      };
      await h.ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    }
    deny.value = true;
    expect((await h.ex.executeTask({ tool: 'echo', params: { text: 'x' } })).status).toBe('denied');
    expect((await h.ex.executeTask({ tool: 'nope', params: {} })).status).toBe('error');
    expect(statuses(h.meter, 'echo')).toEqual({
      completed: 1,
      failed: 1,
      error: 0,
      denied: 1,
      timeout: 0,
      cancelled: 0,
      oom: 1,
    });
    expect(h.meter.total(EXECUTOR_METRICS.tasks, { tool: '(unknown)', status: 'error' })).toBe(1);
    expect(h.ex.metrics().tasks).toMatchObject({ completed: 1, failed: 1, denied: 1, oom: 1, error: 1 });
    expect(h.meter.values(EXECUTOR_METRICS.taskDuration, { tool: 'echo', status: 'completed' })).toEqual([0.25]);
    expect(h.meter.values(EXECUTOR_METRICS.taskDuration, { tool: 'echo', status: 'oom' })).toEqual([0.25]);
    expect(h.meter.values(EXECUTOR_METRICS.taskDuration, { tool: 'echo', status: 'denied' })).toEqual([0]);
    await settled(h);
  });

  it('counts timeouts and cancels, container events and start latency, and tracks active and queued tasks', async () => {
    const h = await harness({ maxConcurrentTasks: 1, timeoutGracePeriodMs: 0 });
    h.runtime.script = () => ({ hang: true });
    const first = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'first', timeoutMs: 100 });
    await until(() => h.ex.taskState('first') === 'running');
    const second = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'second' });
    await until(() => h.meter.last(EXECUTOR_METRICS.tasksQueued) === 1);
    expect(h.meter.last(EXECUTOR_METRICS.tasksActive)).toBe(1);
    h.ex.cancelTask('second');
    expect((await second).status).toBe('cancelled');
    expect(h.meter.last(EXECUTOR_METRICS.tasksQueued)).toBe(0);
    h.clock.advance(100);
    expect((await first).status).toBe('timeout');
    expect(h.meter.last(EXECUTOR_METRICS.tasksActive)).toBe(0);
    expect(statuses(h.meter, 'echo')).toMatchObject({ timeout: 1, cancelled: 1 });
    expect(h.meter.total(EXECUTOR_METRICS.containers, { event: 'created' })).toBe(1);
    expect(h.meter.total(EXECUTOR_METRICS.containers, { event: 'removed' })).toBe(1);
    expect(h.meter.values(EXECUTOR_METRICS.containerStart, { tool: 'echo' })).toEqual([0.02]);
    expect(h.ex.metrics()).toMatchObject({
      containersCreated: 1,
      containersRemoved: 1,
      activeTasks: 0,
      queuedTasks: 0,
    });
    await settled(h);
  });
});
