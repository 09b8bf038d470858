import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { TaskAssignment } from '@baaaht/proto';
import { ManualClock, collectSpans, parentOf } from '@baaaht/test-utils';
import type { ReadableSpan, SpanCollector } from '@baaaht/test-utils';
import { HubCore } from './hub-core';
import { quietLogger } from './logger';
import { MemoryTaskStore } from './memory-task-store';
import { SqliteTaskStore } from './sqlite-task-store';
import { fromAssignment, traceHeaders } from './submission';
import type { TaskStore } from './task-store';
import { FakeWorker } from './test-support/fake-worker';

const SUBMITTER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const SUBMITTER_PARENT = `00-${SUBMITTER_TRACE}-b7ad6b7169203331-01`;
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

function makeCore(store: TaskStore = new MemoryTaskStore(), clock = new ManualClock()): HubCore {
  return new HubCore({ store, leaseMs: 1000, clock, logger: quietLogger, knownTools: undefined });
}

/** traceparent = 00-<trace id>-<span id>-<flags>. */
function traceparent(carrier: Record<string, string> | undefined): { traceId: string; spanId: string } {
  const [, traceId, spanId] = (carrier?.['traceparent'] ?? '').split('-');
  return { traceId: traceId ?? '', spanId: spanId ?? '' };
}

const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0] as ReadableSpan;
};

// First, while nothing in this file has registered with the OpenTelemetry API.
describe('a hub nobody traces', () => {
  test("loads no OpenTelemetry module, and passes a submitter's trace context through to the worker", () => {
    expect((globalThis as Record<symbol, unknown>)[API_GLOBAL]).toBeUndefined();
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw new Error('@opentelemetry/api was loaded');
      });
      /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module graph under the mock */
      const { HubCore: IsolatedCore } = require('./hub-core') as { HubCore: typeof HubCore };
      const { FakeWorker: IsolatedWorker } = require('./test-support/fake-worker') as {
        FakeWorker: typeof FakeWorker;
      };
      /* eslint-enable @typescript-eslint/no-require-imports */
      const core = new IsolatedCore({
        store: new MemoryTaskStore(),
        leaseMs: 1000,
        clock: new ManualClock(),
        logger: quietLogger,
        knownTools: undefined,
      });
      const w = new IsolatedWorker(core);
      w.register();
      w.connect();
      core.submit({ taskId: 'plain', tool: 'echo' });
      core.submit({ taskId: 'passed', tool: 'echo', traceContext: { traceparent: SUBMITTER_PARENT } });
      expect(w.of('assign').map((a) => [a.taskId, a.traceContext])).toEqual([
        ['plain', {}],
        ['passed', { traceparent: SUBMITTER_PARENT }],
      ]);
    });
    jest.dontMock('@opentelemetry/api');
  });
});

describe('hub spans (an SDK installed)', () => {
  let spans: SpanCollector;
  beforeAll(() => {
    spans = collectSpans();
  });
  afterEach(() => spans.reset());
  afterAll(() => spans.stop());

  test('submit, queue wait and dispatch form one trace under the caller, carried to the worker in the assignment', () => {
    const clock = new ManualClock();
    const core = makeCore(new MemoryTaskStore(), clock);
    trace.getTracer('test').startActiveSpan('caller', (span) => {
      core.submit({ taskId: 't1', tool: 'echo', sessionId: 's1' });
      span.end();
    });
    // Queued for 250 ms (no worker yet), then dispatched.
    clock.advance(250);
    const w = new FakeWorker(core, { name: 'w1' });
    w.register();
    w.connect();

    const all = spans.ofTask('t1');
    const submit = one(all, 'baaaht.submit');
    const queue = one(all, 'baaaht.queue');
    const dispatch = one(all, 'baaaht.dispatch');
    const parent = spans.spans().find((s) => s.name === 'caller' && s.spanContext().spanId === parentOf(submit));
    expect(parent).toBeDefined();
    expect(new Set(all.map((s) => s.spanContext().traceId))).toEqual(new Set([submit.spanContext().traceId]));
    expect(parentOf(queue)).toBe(submit.spanContext().spanId);
    expect(parentOf(dispatch)).toBe(submit.spanContext().spanId);
    expect(submit.attributes).toMatchObject({
      'baaaht.task.id': 't1',
      'baaaht.tool': 'echo',
      'baaaht.session.id': 's1',
      'baaaht.task.created': true,
    });
    expect(queue.attributes).toMatchObject({ 'baaaht.task.attempt': 1, 'baaaht.queue.wait_ms': 250 });
    const [qs, qe] = [queue.startTime, queue.endTime].map(([s, ns]) => s * 1000 + ns / 1e6) as [number, number];
    expect(qe - qs).toBeCloseTo(250, 3);
    expect(dispatch.attributes).toMatchObject({
      'baaaht.task.attempt': 1,
      'baaaht.worker.id': w.agentId,
      'baaaht.worker.name': 'w1',
    });

    // The worker gets the dispatch span's context; the store keeps the submit span's (for later dispatches).
    const [assignment] = w.of('assign');
    expect(traceparent(assignment?.traceContext)).toEqual({
      traceId: submit.spanContext().traceId,
      spanId: dispatch.spanContext().spanId,
    });
    expect(traceparent(core.getTask('t1')?.assignment?.traceContext).spanId).toBe(submit.spanContext().spanId);
  });

  test("a submitter's trace context (the submission's, else the SubmitTask call's metadata) is the submit span's parent", () => {
    const core = makeCore();
    core.submit({ taskId: 'remote', tool: 'echo', traceContext: { traceparent: SUBMITTER_PARENT } });
    const submit = one(spans.ofTask('remote'), 'baaaht.submit');
    expect(submit.spanContext().traceId).toBe(SUBMITTER_TRACE);
    expect(parentOf(submit)).toBe('b7ad6b7169203331');

    const metadata = new Metadata();
    metadata.set('traceparent', SUBMITTER_PARENT);
    metadata.set('authorization', 'Bearer x');
    expect(traceHeaders(metadata)).toEqual({ traceparent: SUBMITTER_PARENT });
    const own = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    const task = TaskAssignment.fromPartial({ tool: 'echo', traceContext: { traceparent: own } });
    expect(fromAssignment(task, {}, traceHeaders(metadata)).traceContext).toEqual({ traceparent: own });
    expect(
      fromAssignment(TaskAssignment.fromPartial({ tool: 'echo' }), {}, traceHeaders(metadata)).traceContext,
    ).toEqual({
      traceparent: SUBMITTER_PARENT,
    });
  });

  test('a re-queued task is dispatched again in the same trace, attempt 2; an idempotent resubmission is marked', () => {
    const clock = new ManualClock();
    const core = makeCore(new MemoryTaskStore(), clock);
    const first = new FakeWorker(core);
    first.register();
    first.connect();
    core.submit({ taskId: 'again', tool: 'echo' });
    core.submit({ taskId: 'again', tool: 'echo' });
    first.disconnect();
    clock.advance(1500); // past the lease: re-queued
    const second = new FakeWorker(core);
    second.register();
    second.connect();
    expect(second.assigned()).toEqual(['again']);

    const all = spans.ofTask('again');
    const submits = named(all, 'baaaht.submit');
    expect(submits.map((s) => s.attributes['baaaht.task.created'])).toEqual([true, false]);
    const dispatches = named(all, 'baaaht.dispatch');
    expect(dispatches.map((s) => s.attributes['baaaht.task.attempt'])).toEqual([1, 2]);
    expect(dispatches.map((s) => s.attributes['baaaht.worker.id'])).toEqual([first.agentId, second.agentId]);
    for (const s of [...dispatches, ...named(all, 'baaaht.queue')])
      expect(parentOf(s)).toBe(submits[0]?.spanContext().spanId);
  });

  test('a restarted hub continues the trace from the stored assignment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-trace-'));
    try {
      const before = makeCore(new SqliteTaskStore({ dataDir: dir }));
      before.submit({ taskId: 'durable', tool: 'echo' });
      before.close();
      const submit = one(spans.ofTask('durable'), 'baaaht.submit');

      const after = makeCore(new SqliteTaskStore({ dataDir: dir }));
      const w = new FakeWorker(after);
      w.register();
      w.connect();
      const dispatch = one(spans.ofTask('durable'), 'baaaht.dispatch');
      expect(parentOf(dispatch)).toBe(submit.spanContext().spanId);
      expect(traceparent(w.of('assign')[0]?.traceContext)).toEqual({
        traceId: submit.spanContext().traceId,
        spanId: dispatch.spanContext().spanId,
      });
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
