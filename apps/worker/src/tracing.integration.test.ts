/**
 * Traces from submit to container, in one process on the real engine: a real hub on a Unix socket, a real
 * agent connected to it over gRPC, the worker's executor adapter and a real executor (warm pool on, the
 * real policy), with an OpenTelemetry SDK collecting every span in memory. Each task must be one connected
 * trace whose root is the hub's submit span: queue wait and dispatch in the hub, the agent's task span a
 * child of the dispatch span through the assignment's trace context (a remote parent: it crossed the
 * wire), the executor's spans under it down to the container's create, start, run and removal; with task
 * id, tool and outcome attributes, and errors recorded where a task failed or was denied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { Agent } from '@baaaht/agent';
import type { Executor } from '@baaaht/executor';
import { createHub, createHubClient } from '@baaaht/hub';
import type { Hub } from '@baaaht/hub';
import { createPolicyEnforcer, parsePolicy } from '@baaaht/policy';
import {
  RecordingMeter,
  collectSpans,
  containersWithLabel,
  createTempWorkspace,
  fastAgentOptions,
  offlineToolImages,
  parentOf,
  runScopedName,
} from '@baaaht/test-utils';
import type { ReadableSpan, SpanCollector, TempWorkspace } from '@baaaht/test-utils';
import { createExecutorTaskHandler } from './executor-task-handler';
import { quietLogger } from './logger';
import { tempSocketPath, waitUntil } from './test-support/cli-process';
import { createWorkerExecutor } from './worker-executor';
import { WorkerMetrics } from './worker-metrics';

jest.setTimeout(120_000);

const workerId = runScopedName('trace-e2e');
const TOOLS = ['file_read'];

let spans: SpanCollector;
let ws: TempWorkspace;
let secret: TempWorkspace;
let hub: Hub;
let executor: Executor;
let agent: Agent;
let address: string;
const meter = new RecordingMeter();

beforeAll(async () => {
  spans = collectSpans();
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\n' }, owner: { uid: 1234, gid: 1234 } });
  secret = createTempWorkspace({ files: { 'key.txt': 'secret\n' }, owner: { uid: 1234, gid: 1234 } });
  const policy = parsePolicy(
    [
      'mode: strict',
      'mounts:',
      '  allow_bind_mounts: true',
      '  mount_allowlist:',
      `    - { path: ${JSON.stringify(ws.dir)}, mode: readonly }`,
      '',
    ].join('\n'),
    { format: 'yaml', source: 'trace-policy.yaml' },
  );
  hub = createHub();
  address = await hub.listen(`unix://${tempSocketPath('trace-hub')}`);
  executor = await createWorkerExecutor({
    policy: createPolicyEnforcer(policy),
    sessionId: workerId,
    workerId,
    logger: quietLogger,
    imageOverrides: offlineToolImages(TOOLS),
    pullPolicy: 'never',
    runtime: 'runc',
    maxConcurrentTasks: 2,
    searchBackendUrl: undefined,
    env: process.env,
    metrics: meter,
    pool: { enabled: true, idleMs: 60_000 },
  });
  const metrics = new WorkerMetrics({
    name: workerId,
    version: 'test',
    liveTasks: () => executor.liveTasks(),
    sessions: () => executor.listSessions(),
  });
  const handler = createExecutorTaskHandler({ executor, tools: TOOLS, logger: quietLogger, metrics });
  agent = Agent.create({ ...fastAgentOptions, handler, address, name: workerId });
  await agent.start();
});

afterAll(async () => {
  await agent?.drain({ timeoutMs: 10_000 });
  await executor?.close();
  await hub?.close();
  await spans?.stop();
  ws?.cleanup();
  secret?.cleanup();
  expect(containersWithLabel(`org.baaaht.worker-id=${workerId}`)).toEqual([]);
});

/** Submits through the hub and waits for the result and for the container's removal. */
async function run(taskId: string, mountSource: string, file: string): Promise<ReadableSpan[]> {
  const handle = hub.submit({ taskId, tool: 'file_read', params: { path: file }, mountSource });
  await handle.result;
  await executor.idle();
  return spans.ofTask(taskId);
}

const one = (all: ReadableSpan[], name: string): ReadableSpan => {
  const found = all.filter((s) => s.name === name);
  expect([name, found.length]).toEqual([name, 1]);
  return found[0] as ReadableSpan;
};
const id = (s: ReadableSpan): string => s.spanContext().spanId;

/** One trace, one root (the submit span), every other span's parent inside it; the hops as expected. */
function expectConnected(all: ReadableSpan[]): { submit: ReadableSpan; task: ReadableSpan; execute: ReadableSpan } {
  const submit = one(all, 'baaaht.submit');
  expect(new Set(all.map((s) => s.spanContext().traceId))).toEqual(new Set([submit.spanContext().traceId]));
  const ids = new Set(all.map(id));
  expect(all.filter((s) => parentOf(s) === undefined).map((s) => s.name)).toEqual(['baaaht.submit']);
  for (const s of all) if (s !== submit) expect([s.name, ids.has(parentOf(s) ?? '')]).toEqual([s.name, true]);
  const dispatch = one(all, 'baaaht.dispatch');
  const task = one(all, 'baaaht.task');
  const execute = one(all, 'baaaht.execute');
  expect(parentOf(one(all, 'baaaht.queue'))).toBe(id(submit));
  expect(parentOf(dispatch)).toBe(id(submit));
  // The hop hub -> worker: the agent's span continues the dispatch span it received in the assignment.
  expect(parentOf(task)).toBe(id(dispatch));
  expect(task.parentSpanContext?.isRemote).toBe(true);
  expect(parentOf(execute)).toBe(id(task));
  const scopes = (name: string): string[] =>
    [...new Set(all.filter((s) => s.name.startsWith(name)).map((s) => s.instrumentationScope.name))].sort();
  expect(scopes('baaaht.submit')).toEqual(['@baaaht/hub']);
  expect(scopes('baaaht.task')).toEqual(['@baaaht/agent']);
  expect(scopes('baaaht.execute')).toEqual(['@baaaht/executor']);
  return { submit, task, execute };
}

describe('one connected trace per task, hub to container (real hub, agent, executor and engine)', () => {
  it('a completed call: submit, queue, dispatch, task, policy, step, container create/start/run/remove', async () => {
    const all = await run('trace-read', ws.dir, 'notes.txt');
    const { task, execute } = expectConnected(all);
    expect(all.map((s) => s.name).sort()).toEqual([
      'baaaht.dispatch',
      'baaaht.execute',
      'baaaht.image',
      'baaaht.policy',
      'baaaht.queue',
      'baaaht.slot_wait',
      'baaaht.step',
      'baaaht.submit',
      'baaaht.task',
      'container.create',
      'container.remove',
      'container.run',
      'container.start',
    ]);
    for (const s of [task, execute])
      expect(s.attributes).toMatchObject({
        'baaaht.task.id': 'trace-read',
        'baaaht.tool': 'file_read',
        'baaaht.outcome': 'completed',
      });
    const step = one(all, 'baaaht.step');
    expect(step.attributes).toMatchObject({ 'baaaht.pool': 'miss', 'baaaht.pool.miss_reason': 'empty' });
    const containerId = one(all, 'container.create').attributes['container.id'];
    for (const name of ['container.start', 'container.run', 'container.remove'])
      expect([name, one(all, name).attributes['container.id']]).toEqual([name, containerId]);
    expect(one(all, 'baaaht.policy').attributes).toMatchObject({ 'baaaht.policy.decision': 'allowed' });
    expect(all.filter((s) => s.status.code === 2).map((s) => s.name)).toEqual([]);
  });

  it('a warm-pool hit: the step says so, and the trace has the run and removal of the pooled container', async () => {
    // The first call's key is now started ahead: wait for its container to be ready.
    await waitUntil(() => (meter.last('baaaht_executor_pool_containers', { state: 'ready' }) ?? 0) >= 1);
    const all = await run('trace-pooled', ws.dir, 'notes.txt');
    expectConnected(all);
    const step = one(all, 'baaaht.step');
    expect(step.attributes).toMatchObject({ 'baaaht.pool': 'hit' });
    const names = all.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['container.run', 'container.remove']));
    // Created and started ahead of time, outside any task's trace.
    expect(names).not.toContain('container.create');
    expect(one(all, 'container.run').attributes['container.id']).toBe(step.attributes['container.id']);
  });

  it('a policy denial: the policy span and the task spans are errors naming the rule, and no container ran', async () => {
    const all = await run('trace-denied', secret.dir, 'key.txt');
    const { task, execute } = expectConnected(all);
    const policy = one(all, 'baaaht.policy');
    expect(policy.attributes).toMatchObject({ 'baaaht.policy.decision': 'denied', 'error.type': 'POLICY_DENIED' });
    expect(policy.attributes['baaaht.policy.rule']).toEqual(expect.stringContaining('mount'));
    expect(policy.status.code).toBe(2);
    for (const s of [task, execute]) {
      expect(s.attributes).toMatchObject({ 'baaaht.outcome': 'denied', 'error.type': 'POLICY_DENIED' });
      expect(s.status.code).toBe(2);
      expect(s.events.map((e) => e.attributes?.['exception.type'])).toEqual(['POLICY_DENIED']);
    }
    expect(all.filter((s) => s.name.startsWith('container.'))).toEqual([]);
  });

  it('a failing tool: the task spans are errors (TOOL_FAILED), the run span has the exit code', async () => {
    fs.rmSync(path.join(ws.dir, 'gone.txt'), { force: true });
    const all = await run('trace-missing', ws.dir, 'gone.txt');
    const { task, execute } = expectConnected(all);
    for (const s of [task, execute]) {
      expect(s.attributes).toMatchObject({ 'baaaht.outcome': 'failed' });
      expect(s.status.code).toBe(2);
    }
    expect(one(all, 'container.run').attributes['baaaht.exit_code']).not.toBe(0);
  });

  it("a gRPC submitter's active span is the parent of the hub's submit span (createHubClient sends it)", async () => {
    const client = createHubClient(address);
    try {
      const caller = trace.getTracer('test').startSpan('caller');
      await context.with(trace.setSpan(context.active(), caller), () =>
        client.submit({
          taskId: 'trace-client',
          tool: 'file_read',
          params: { path: 'notes.txt' },
          mountSource: ws.dir,
        }),
      );
      caller.end();
      await client.wait('trace-client');
      await executor.idle();
    } finally {
      client.close();
    }
    const all = spans.ofTask('trace-client');
    const submit = one(all, 'baaaht.submit');
    const caller = spans.spans().find((s) => s.name === 'caller');
    expect(parentOf(submit)).toBe(caller?.spanContext().spanId);
    expect(submit.parentSpanContext?.isRemote).toBe(true);
    expect(new Set(all.map((s) => s.spanContext().traceId))).toEqual(new Set([caller?.spanContext().traceId]));
    expect(one(all, 'baaaht.task').attributes).toMatchObject({ 'baaaht.outcome': 'completed' });
  });

  it('every task has a trace of its own', () => {
    const traceOf = (taskId: string): string => one(spans.ofTask(taskId), 'baaaht.submit').spanContext().traceId;
    const traces = ['trace-read', 'trace-pooled', 'trace-denied', 'trace-missing', 'trace-client'].map(traceOf);
    expect(new Set(traces).size).toBe(5);
  });
});
