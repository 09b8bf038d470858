import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskAssignment } from '@baaaht/proto';
import type { WorkerMessage } from '@baaaht/proto';
import { RecordingMeter } from '@baaaht/test-utils';
import { Agent } from './agent';
import { AGENT_STATES } from './agent-lifecycle';
import type { AgentState } from './agent-lifecycle';
import type { TaskHandler } from './task-handler';
import { ManualClock } from '@baaaht/test-utils';
import { miniHub } from './test-support/mini-hub';
import { until } from './test-support/until';

const HEARTBEAT_MS = 999999;

const handler: TaskHandler = {
  tools: () => ['echo'],
  run: async (task) => ({
    status: 'completed',
    exitCode: 0,
    stdout: String(task.params?.['text'] ?? ''),
    stderr: '',
    truncated: false,
    durationMs: 1,
  }),
  cancel: () => undefined,
};

/** The gauge's current value for every state of the union. */
function gauge(meter: RecordingMeter): Record<string, number | undefined> {
  return Object.fromEntries(
    AGENT_STATES.map((state) => [state, meter.last('baaaht_agent_connection_state', { state })]),
  );
}

function only(state: AgentState): Record<string, number> {
  return Object.fromEntries(AGENT_STATES.map((s) => [s, s === state ? 1 : 0]));
}

describe('Agent lifecycle and metrics (a minimal hub, manual clock)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-life-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a whole life: lifecycle events, the state gauge, tasks, results, a reconnect, a failed heartbeat', async () => {
    const path = join(dir, 'hub.sock');
    const received: WorkerMessage[] = [];
    let hub = await miniHub(path, { received, ack: true, failHeartbeats: true });
    const clock = new ManualClock();
    const meter = new RecordingMeter();
    const agent = Agent.create({
      handler,
      address: `unix://${path}`,
      clock,
      metrics: meter,
      reconnectIntervalMs: 1000,
      reconnectJitter: 'none',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const lifecycle: AgentState[] = [];
    agent.on('lifecycle', (next: AgentState) => lifecycle.push(next));
    expect(agent.lifecycle).toBe('idle');
    expect(gauge(meter)).toEqual(only('idle'));
    try {
      await agent.start();
      expect(agent.lifecycle).toBe('ready');
      expect(agent.metrics().lifecycle).toBe('ready');
      expect(gauge(meter)).toEqual(only('ready'));

      // A task and an unknown tool: both received, one result.
      const stream = hub.streams[0]!;
      stream.write({
        payload: { $case: 'assign', value: TaskAssignment.fromPartial({ taskId: 't1', tool: 'echo', attempt: 1 }) },
      });
      stream.write({
        payload: { $case: 'assign', value: TaskAssignment.fromPartial({ taskId: 't2', tool: 'nope', attempt: 1 }) },
      });
      await until(() => received.some((m) => m.payload?.$case === 'rejected'));
      await until(() => agent.metrics().tasks.completed === 1 && agent.metrics().unacknowledged === 0);
      expect(meter.total('baaaht_agent_tasks_received_total', { tool: 'echo' })).toBe(1);
      expect(meter.total('baaaht_agent_tasks_received_total', { tool: 'nope' })).toBe(1);
      expect(meter.total('baaaht_agent_results_reported_total', { status: 'completed' })).toBe(1);

      // A heartbeat the hub refuses is counted, and the next one is still scheduled.
      expect(clock.fire((ms) => ms === HEARTBEAT_MS)).toBe(HEARTBEAT_MS);
      await until(() => meter.total('baaaht_agent_heartbeat_failures_total') === 1);
      await until(() => [...clock.timers.values()].some((t) => t.ms === HEARTBEAT_MS));

      // An outage: ready -> reconnecting -> ready, one reconnect counted.
      expect(meter.total('baaaht_agent_reconnects_total')).toBe(0);
      hub.server.forceShutdown();
      await until(() => agent.lifecycle === 'reconnecting');
      expect(gauge(meter)).toEqual(only('reconnecting'));
      hub = await miniHub(path, { received, ack: true });
      await until(() => [...clock.timers.values()].some((t) => t.ms !== HEARTBEAT_MS));
      clock.fire((ms) => ms !== HEARTBEAT_MS);
      await until(() => agent.lifecycle === 'ready');
      expect(meter.total('baaaht_agent_reconnects_total')).toBe(1);
      expect(agent.metrics().reconnects).toBe(1);

      await agent.drain();
      expect(agent.lifecycle).toBe('stopped');
      expect(agent.state).toBe('Shutdown');
      expect(gauge(meter)).toEqual(only('stopped'));
      expect(lifecycle).toEqual(['connecting', 'ready', 'reconnecting', 'ready', 'draining', 'leaving', 'stopped']);
      expect(meter.definitions.get('baaaht_agent_connection_state')).toMatchObject({
        kind: 'gauge',
        labelNames: ['state'],
      });
    } finally {
      await agent.close({ force: true });
      hub.server.forceShutdown();
    }
  });

  test('giving up ends in failed, with the gauge on failed and closed() rejecting', async () => {
    const meter = new RecordingMeter();
    const clock = new ManualClock();
    const agent = Agent.create({
      handler,
      address: `unix://${join(dir, 'absent.sock')}`,
      clock,
      metrics: meter,
      reconnectMaxAttempts: 1,
      reconnectJitter: 'none',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const lifecycle: AgentState[] = [];
    agent.on('lifecycle', (next: AgentState) => lifecycle.push(next));
    const started = agent.start();
    started.catch(() => undefined);
    await until(() => [...clock.timers.values()].some((t) => t.ms !== HEARTBEAT_MS));
    clock.fire((ms) => ms !== HEARTBEAT_MS);
    await expect(started).rejects.toMatchObject({ code: 'RECONNECT_EXHAUSTED' });
    expect(agent.lifecycle).toBe('failed');
    expect(lifecycle).toEqual(['connecting', 'failed']);
    expect(gauge(meter)).toEqual(only('failed'));
    await expect(agent.closed()).rejects.toMatchObject({ code: 'RECONNECT_EXHAUSTED' });
    // A drain after giving up still settles (nothing runs here) and leaves the agent failed.
    await agent.drain();
    expect(agent.lifecycle).toBe('failed');
    expect(agent.metrics().draining).toBe(true);
    // Giving up is not counted as a reconnect.
    expect(meter.total('baaaht_agent_reconnects_total')).toBe(0);
  });

  test('public methods in the wrong state: a second start() or run() rejects SHUTDOWN; drain() and close() are idempotent', async () => {
    const agent = Agent.create({
      handler,
      address: `unix://${join(dir, 'absent.sock')}`,
      clock: new ManualClock(),
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const started = agent.start();
    started.catch(() => undefined);
    await expect(agent.start()).rejects.toMatchObject({
      code: 'SHUTDOWN',
      message: 'agent was already started (it is connecting)',
    });
    await expect(agent.run()).rejects.toMatchObject({ code: 'SHUTDOWN' });
    const first = agent.drain();
    expect(agent.close()).toBe(first);
    expect(agent.drain()).toBe(first);
    await first;
    expect(agent.lifecycle).toBe('stopped');
    await expect(started).rejects.toMatchObject({ code: 'SHUTDOWN' });
    expect(agent.drain()).toBe(first);
    await expect(agent.closed()).resolves.toBeUndefined();
    await expect(agent.start()).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });

  test('close() before start() runs the shutdown sequence from idle and ends stopped', async () => {
    const agent = Agent.create({ handler, address: `unix://${join(dir, 'absent.sock')}`, clock: new ManualClock() });
    const lifecycle: AgentState[] = [];
    agent.on('lifecycle', (next: AgentState) => lifecycle.push(next));
    await agent.close();
    expect(lifecycle).toEqual(['draining', 'leaving', 'stopped']);
    expect(agent.state).toBe('Shutdown');
    await expect(agent.start()).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });

  test('drain() called again from a lifecycle listener joins the one shutdown sequence', async () => {
    const agent = Agent.create({ handler, address: `unix://${join(dir, 'absent.sock')}`, clock: new ManualClock() });
    const inner: Promise<void>[] = [];
    agent.on('lifecycle', (next: AgentState) => {
      if (next === 'draining') inner.push(agent.drain());
    });
    const outer = agent.drain();
    expect(inner).toHaveLength(1);
    expect(inner[0]).toBe(outer);
    await outer;
    expect(agent.lifecycle).toBe('stopped');
  });
});
