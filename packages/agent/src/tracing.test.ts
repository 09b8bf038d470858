import { trace } from '@opentelemetry/api';
import { TaskAssignment } from '@baaaht/proto';
import type { WorkerMessage } from '@baaaht/proto';
import { ManualClock, RecordingMeter, collectSpans, parentOf } from '@baaaht/test-utils';
import type { ReadableSpan, SpanCollector } from '@baaaht/test-utils';
import { AgentInstruments } from './agent-instruments';
import { quietLogger } from './logger';
import type { TaskHandler, TaskOutcome } from './task-handler';
import { TaskRunner } from './task-runner';

const HUB_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const HUB_DISPATCH = '00f067aa0ba902b7';
const TRACEPARENT = `00-${HUB_TRACE}-${HUB_DISPATCH}-01`;
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

const outcome = (status: TaskOutcome['status'], error?: TaskOutcome['error']): TaskOutcome => ({
  status,
  exitCode: status === 'completed' ? 0 : 1,
  stdout: '',
  stderr: '',
  truncated: false,
  durationMs: 1,
  ...(error ? { error } : {}),
});

/** A runner whose handler records the span active while it runs and returns `result(tool)`. */
function setup(result: (tool: string) => TaskOutcome, TaskRunnerClass = TaskRunner) {
  const active: Record<string, string | undefined> = {};
  const handler: TaskHandler = {
    tools: () => ['echo', 'fail'],
    run: async (task) => {
      active[task.taskId] = trace.getActiveSpan()?.spanContext().spanId;
      await Promise.resolve();
      return result(task.tool);
    },
    cancel: () => undefined,
  };
  const sent: WorkerMessage[] = [];
  const runner = new TaskRunnerClass({
    handler,
    maxConcurrentTasks: 2,
    logger: quietLogger,
    clock: new ManualClock(),
    instruments: new AgentInstruments(new RecordingMeter()),
    send: (m) => {
      sent.push(m);
      return true;
    },
    accepting: () => true,
    onFinished: () => undefined,
  });
  const reported = (): string[] =>
    sent.flatMap((m) => (m.payload?.$case === 'finished' ? [m.payload.value.taskId] : []));
  return { runner, active, reported };
}

const flush = () => new Promise((r) => setImmediate(r));
const assign = (taskId: string, tool: string, traceContext: Record<string, string> = { traceparent: TRACEPARENT }) =>
  TaskAssignment.fromPartial({ taskId, tool, attempt: 2, traceContext });

// First, while nothing in this file has registered with the OpenTelemetry API.
describe('an agent nobody traces', () => {
  test('runs tasks without loading any OpenTelemetry module', async () => {
    expect((globalThis as Record<symbol, unknown>)[API_GLOBAL]).toBeUndefined();
    let runner: TaskRunner | undefined;
    let reported: () => string[] = () => [];
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw new Error('@opentelemetry/api was loaded');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module graph under the mock
      const isolated = require('./task-runner') as { TaskRunner: typeof TaskRunner };
      ({ runner, reported } = setup(() => outcome('completed'), isolated.TaskRunner));
    });
    runner?.assign(assign('quiet', 'echo'));
    await flush();
    expect(reported()).toEqual(['quiet']);
    jest.dontMock('@opentelemetry/api');
  });
});

describe('the task span (an SDK installed)', () => {
  let spans: SpanCollector;
  beforeAll(() => {
    spans = collectSpans();
  });
  afterAll(() => spans.stop());

  const taskSpan = (taskId: string): ReadableSpan => {
    const found = spans.ofTask(taskId).filter((s) => s.name === 'baaaht.task');
    expect(found).toHaveLength(1);
    return found[0] as ReadableSpan;
  };

  test("continues the hub's dispatch span from the assignment; the handler runs inside it", async () => {
    const { runner, active, reported } = setup(() => outcome('completed'));
    runner.assign(assign('t1', 'echo'));
    await flush();
    expect(reported()).toEqual(['t1']);
    const span = taskSpan('t1');
    expect(span.spanContext().traceId).toBe(HUB_TRACE);
    expect(parentOf(span)).toBe(HUB_DISPATCH);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(active['t1']).toBe(span.spanContext().spanId);
    expect(span.attributes).toMatchObject({
      'baaaht.task.id': 't1',
      'baaaht.tool': 'echo',
      'baaaht.task.attempt': 2,
      'baaaht.outcome': 'completed',
      'baaaht.exit_code': 0,
    });
    expect(span.status.code).toBe(0);
  });

  test('an outcome other than completed is an error: exception event and status ERROR', async () => {
    const { runner, reported } = setup(() =>
      outcome('failed', { code: 'TOOL_FAILED', message: 'no such file: a.txt' }),
    );
    runner.assign(assign('t2', 'fail'));
    await flush();
    expect(reported()).toEqual(['t2']);
    const span = taskSpan('t2');
    expect(span.attributes).toMatchObject({ 'baaaht.outcome': 'failed', 'error.type': 'TOOL_FAILED' });
    expect(span.status).toEqual({ code: 2, message: 'no such file: a.txt' });
    expect(span.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([['exception', 'TOOL_FAILED']]);
  });

  test('an assignment without a trace context starts a trace of its own', async () => {
    const { runner } = setup(() => outcome('completed'));
    runner.assign(assign('t3', 'echo', {}));
    await flush();
    const span = taskSpan('t3');
    expect(parentOf(span)).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(HUB_TRACE);
  });
});
