import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '@baaaht/agent';
import type { AgentOptions } from '@baaaht/agent';
import { TaskState } from '@baaaht/proto';
import { FakeHandler, fastAgentOptions } from '@baaaht/test-utils';
import { createHub, createHubClient } from './index';
import type { Hub } from './index';
import { eventually, tempSocketDir } from './test-support/temp-socket';

// A real hub and real agents over a real Unix socket, with a scripted handler.
jest.setTimeout(60000);

describe('hub <-> agent over a Unix socket', () => {
  let sock: ReturnType<typeof tempSocketDir>;
  let hub: Hub;
  let address: string;
  const agents: Agent[] = [];

  async function startAgent(handler: FakeHandler, options: Partial<AgentOptions> = {}): Promise<Agent> {
    const agent = Agent.create({
      handler,
      address,
      name: 'test-worker',
      ...fastAgentOptions,
      heartbeatIntervalMs: 200,
      ...options,
    });
    agents.push(agent);
    await agent.start();
    return agent;
  }

  beforeEach(async () => {
    sock = tempSocketDir();
    hub = createHub({ leaseMs: 1000 });
    address = await hub.listen(sock.address);
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close({ force: true })));
    await hub.close();
    sock.cleanup();
  });

  test('one task from assignment to completion, with events and status by id', async () => {
    const handler = new FakeHandler();
    const agent = await startAgent(handler);
    expect(agent.state).toBe('Ready');
    expect(hub.workers()).toHaveLength(1);

    const handle = hub.submit({ taskId: 't-1', tool: 'echo', params: { text: 'hello' }, mountSource: '/tmp' });
    expect(handle.created).toBe(true);
    const kinds: string[] = [];
    for await (const event of handle.events) kinds.push(event.payload?.$case ?? '?');
    const result = await handle.result;
    expect(result.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(Buffer.from(result.stdout).toString()).toBe('hello');
    expect(result.containerId).toBe('fake-t-1');
    expect(kinds[0]).toBe('assigned');
    expect(kinds).toEqual(expect.arrayContaining(['accepted', 'progress', 'output', 'finished']));
    expect(kinds[kinds.length - 1]).toBe('finished');

    // Same id again: same task, not run twice.
    const again = hub.submit({ taskId: 't-1', tool: 'echo', params: { text: 'other' } });
    expect(again.created).toBe(false);
    expect((await again.result).stdout.toString()).toBe('hello');
    expect(handler.runs).toHaveLength(1);

    const client = createHubClient(address);
    try {
      const task = await client.status('t-1');
      expect(task.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(task.agentId).toBe(agent.getAgentId());
      await expect(client.status('nope')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
      await expect(client.submit({ tool: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const submitted = await client.submit({ taskId: 'c-1', tool: 'echo', params: { text: 'via client' } });
      expect(submitted.created).toBe(true);
      const finished = await client.wait('c-1');
      expect(Buffer.from(finished.stdout).toString()).toBe('via client');
      expect((await client.workers()).map((w) => w.id)).toEqual([agent.getAgentId()]);

      // ListTasks over the wire: newest first, the worker's name, filters, paged, no output.
      expect((await client.tasks()).map((t) => t.id).sort()).toEqual(['c-1', 't-1']);
      const listed = await client.tasks({
        tool: 'echo',
        worker: 'test-worker',
        states: [TaskState.TASK_STATE_COMPLETED],
      });
      expect(listed.map((t) => [t.agentName, t.agentId])).toEqual([
        ['test-worker', agent.getAgentId()],
        ['test-worker', agent.getAgentId()],
      ]);
      expect(listed.every((t) => t.finished?.stdout.length === 0)).toBe(true);
      expect(await client.tasks({ tool: 'grep' })).toEqual([]);
      const page = await client.tasksPage({ pageSize: 1 });
      expect(page.tasks).toHaveLength(1);
      expect((await client.tasksPage({ pageToken: page.nextPageToken })).tasks.map((t) => t.id)).not.toContain(
        page.tasks[0]?.id,
      );
      expect(await client.tasks({ limit: 1 })).toHaveLength(1);
      await expect(client.tasksPage({ pageToken: 'bogus' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      client.close();
    }
  });

  test('dispatch latency: submit to handler on an idle worker', async () => {
    const handler = new FakeHandler();
    await startAgent(handler);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const taskId = `lat-${i}`;
      const t0 = performance.now();
      const running = handler.waitForRun(taskId);
      const handle = hub.submit({ taskId, tool: 'echo' });
      await running;
      latencies.push(performance.now() - t0);
      await handle.result;
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[10] as number;
    console.log(`dispatch latency median ${median.toFixed(2)} ms, max ${(latencies[19] as number).toFixed(2)} ms`);
    expect(median).toBeLessThan(200);
  });

  test('with the durable store: dispatch latency and throughput (measured, loosely asserted)', async () => {
    const durable = createHub({ dataDir: join(sock.dir, 'data') });
    const durableAddress = await durable.listen(`unix://${join(sock.dir, 'durable.sock')}`);
    const handler = new FakeHandler();
    const agent = Agent.create({ handler, address: durableAddress, maxConcurrentTasks: 4 });
    agents.push(agent);
    try {
      await agent.start();
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const taskId = `dlat-${i}`;
        const t0 = performance.now();
        const running = handler.waitForRun(taskId);
        const handle = durable.submit({ taskId, tool: 'echo' });
        await running;
        latencies.push(performance.now() - t0);
        await handle.result;
      }
      latencies.sort((a, b) => a - b);
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => durable.submit({ taskId: `dbulk-${i}`, tool: 'echo' }).result),
      );
      const elapsed = performance.now() - t0;
      console.log(
        `durable (SQLite, FULL fsync on submit and result): dispatch median ${(latencies[10] as number).toFixed(2)} ms; 200 tasks in ${elapsed.toFixed(0)} ms`,
      );
      expect(latencies[10]).toBeLessThan(200);
    } finally {
      await agent.close();
      agents.splice(agents.indexOf(agent), 1);
      await durable.close();
    }
  });

  test('cancel from the hub reaches the handler quickly', async () => {
    const handler = new FakeHandler();
    await startAgent(handler);
    const handle = hub.submit({ taskId: 'c-gate', tool: 'gate' });
    await handler.waitForRun('c-gate');
    const t0 = performance.now();
    const res = hub.cancel('c-gate', { force: true });
    expect(res.cancelled).toBe(true);
    const result = await handle.result;
    expect(result.state).toBe(TaskState.TASK_STATE_CANCELLED);
    const cancel = handler.cancels.find((c) => c.taskId === 'c-gate');
    const abort = handler.aborts.find((a) => a.taskId === 'c-gate');
    expect(cancel?.force).toBe(true);
    console.log(`cancel reached the handler after ${((abort?.at ?? NaN) - t0).toFixed(2)} ms`);
    expect((cancel?.at ?? Infinity) - t0).toBeLessThan(1000);
    expect((abort?.at ?? Infinity) - t0).toBeLessThan(1000);

    // A queued task (no worker has room for it) is cancelled at once.
    const queued = hub.submit({ taskId: 'q-1', tool: 'echo', selector: { pool: 'none' } });
    expect(hub.cancel('q-1').cancelled).toBe(true);
    expect((await queued.result).state).toBe(TaskState.TASK_STATE_CANCELLED);
    expect(hub.cancel('q-1').cancelled).toBe(false);
    expect(() => hub.cancel('unknown')).toThrow(expect.objectContaining({ code: 'TASK_NOT_FOUND' }));
  });

  test('drain with tasks in flight: every task gets an outcome, then unregister', async () => {
    const handler = new FakeHandler();
    const agent = await startAgent(handler, { maxConcurrentTasks: 4 });
    const unregistered = new Promise<string>((resolve) => hub.on('worker-unregistered', resolve));
    const quick = hub.submit({ taskId: 'd-quick', tool: 'sleep', params: { ms: 100 } });
    const slow = hub.submit({ taskId: 'd-slow', tool: 'gate' });
    const stuck = hub.submit({ taskId: 'd-stuck', tool: 'hang' });
    await Promise.all(['d-quick', 'd-slow', 'd-stuck'].map((id) => handler.waitForRun(id)));

    const drained = agent.drain({ timeoutMs: 400 });
    // Once draining, the worker takes nothing new.
    await eventually(() => hub.workers()[0]?.draining === true, 5000, 'draining flag');
    const late = hub.submit({ taskId: 'd-late', tool: 'echo' });
    await drained;

    expect((await quick.result).state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((await slow.result).state).toBe(TaskState.TASK_STATE_CANCELLED);
    const stuckResult = await stuck.result;
    expect(stuckResult.state).toBe(TaskState.TASK_STATE_CANCELLED);
    expect(stuckResult.error?.code).toBe('SHUTDOWN');
    expect(await unregistered).toBe(agent.getAgentId());
    expect(agent.state).toBe('Shutdown');
    expect(hub.workers()).toHaveLength(0);
    expect(hub.getTask('d-late')?.state).toBe(TaskState.TASK_STATE_QUEUED);
    expect(handler.runs.map((r) => r.task.taskId)).not.toContain('d-late');
    void late.result.catch(() => undefined);
  });

  test('a handler that throws is reported as error HANDLER_ERROR', async () => {
    const handler = new FakeHandler();
    await startAgent(handler);
    const result = await hub.submit({ tool: 'boom' }).result;
    expect(result.state).toBe(TaskState.TASK_STATE_ERROR);
    expect(result.error?.code).toBe('HANDLER_ERROR');
  });

  test('1,000 small tasks through one worker with 4 slots: each result exactly once, no leaks', async () => {
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const handler = new FakeHandler();
    const agent = await startAgent(handler, { maxConcurrentTasks: 4 });
    const finishedCounts = new Map<string, number>();
    hub.on('task-finished', (taskId) => finishedCounts.set(taskId, (finishedCounts.get(taskId) ?? 0) + 1));
    const t0 = performance.now();
    const handles = Array.from({ length: 1000 }, (_, i) =>
      hub.submit({ taskId: `bulk-${i}`, tool: i % 10 === 0 ? 'sleep' : 'echo', params: { text: `r${i}`, ms: 2 } }),
    );
    const results = await Promise.all(handles.map((h) => h.result));
    const elapsed = performance.now() - t0;
    console.log(`1000 tasks through 4 slots in ${elapsed.toFixed(0)} ms`);
    results.forEach((r, i) => {
      expect(r.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(Buffer.from(r.stdout).toString()).toBe(`r${i}`);
    });
    expect(finishedCounts.size).toBe(1000);
    expect([...finishedCounts.values()].every((n) => n === 1)).toBe(true);
    expect(handler.runs).toHaveLength(1000);
    expect(new Set(handler.runs.map((r) => r.task.taskId)).size).toBe(1000);
    expect(handler.maxRunning).toBeLessThanOrEqual(4);
    expect(agent.metrics().tasks.completed).toBe(1000);
    await eventually(() => agent.metrics().unacknowledged === 0, 5000, 'acks');

    for (const h of handles) for await (const _ of h.events) void _;
    expect(hub.subscriptions).toBe(0);
    await agent.close();
    agents.splice(agents.indexOf(agent), 1);
    await eventually(() => readdirSync('/proc/self/fd').length <= fdsBefore + 5, 5000, 'fds to close');
  });
});
