import type { Executor, TaskRequest, TaskResult } from '@baaaht/executor';
import type { AgentTask, TaskHandlerEvent } from '@baaaht/agent';
import { createExecutorTaskHandler } from './executor-task-handler';
import type { CliLogger } from './logger';
import { WorkerMetrics } from './worker-metrics';

interface Line {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

function recordingLogger(lines: Line[], bound: Record<string, unknown> = {}): CliLogger {
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}): void => {
      lines.push({ level, message, meta: { ...bound, ...meta } });
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => recordingLogger(lines, { ...bound, ...b }),
    flush: () => undefined,
  };
}

const task: AgentTask = {
  taskId: 't-1',
  sessionId: 's',
  tool: 'grep',
  params: { pattern: 'x' },
  mountSource: '/ws',
  labels: {},
  attempt: 1,
};

function fakeExecutor(run: (req: TaskRequest) => Promise<TaskResult>): {
  executor: Executor;
  requests: TaskRequest[];
  cancels: unknown[];
} {
  const requests: TaskRequest[] = [];
  const cancels: unknown[] = [];
  const executor = {
    executeTask: (req: TaskRequest) => {
      requests.push(req);
      return run(req);
    },
    cancelTask: (taskId: string, options: unknown) => {
      cancels.push([taskId, options]);
      return true;
    },
  } as unknown as Executor;
  return { executor, requests, cancels };
}

const result = (over: Partial<TaskResult> = {}): TaskResult => ({
  taskId: 't-1',
  tool: 'grep',
  status: 'completed',
  exitCode: 0,
  stdout: 'out',
  stderr: '',
  truncated: false,
  stdoutDroppedBytes: 0,
  stderrDroppedBytes: 0,
  durationMs: 12,
  containerId: 'abcdef0123456789abcdef',
  ...over,
});

describe('executor task handler', () => {
  it('forwards the task, streams events, maps the result and logs ids', async () => {
    const lines: Line[] = [];
    const { executor, requests } = fakeExecutor(async (req) => {
      req.onEvent?.({ type: 'started', taskId: 't-1', tool: 'grep', containerId: 'abcdef0123456789abcdef', step: 0 });
      req.onEvent?.({ type: 'stdout', taskId: 't-1', chunk: Buffer.from('out') });
      return result({ structured: { matches: 1 } });
    });
    const metrics = new WorkerMetrics({ name: 'w', version: '0' });
    const handler = createExecutorTaskHandler({ executor, tools: ['grep'], logger: recordingLogger(lines), metrics });
    const events: TaskHandlerEvent[] = [];
    const signal = new AbortController().signal;
    const outcome = await handler.run(task, { signal, emit: (e) => events.push(e) });

    expect(requests[0]).toMatchObject({
      tool: 'grep',
      params: { pattern: 'x' },
      mountSource: '/ws',
      taskId: 't-1',
      signal,
    });
    expect(events).toEqual([
      { type: 'started', containerId: 'abcdef0123456789abcdef' },
      { type: 'stdout', data: Buffer.from('out') },
    ]);
    expect(outcome).toEqual({
      status: 'completed',
      exitCode: 0,
      stdout: 'out',
      stderr: '',
      truncated: false,
      durationMs: 12,
      containerId: 'abcdef0123456789abcdef',
      structured: { matches: 1 },
      stdoutDroppedBytes: 0,
      stderrDroppedBytes: 0,
    });
    const done = lines.find((l) => l.message === 'task completed');
    expect(done?.meta).toMatchObject({
      taskId: 't-1',
      tool: 'grep',
      containerId: 'abcdef0123456789abcdef',
      status: 'completed',
    });
    expect(metrics.snapshot()).toMatchObject({
      runningTasks: 0,
      tasksByStatus: { completed: 1 },
      tasksByTool: { grep: 1 },
    });
    expect(handler.tools()).toEqual(['grep']);
  });

  it('does not forward the intermediate output of multi-step tools', async () => {
    const { executor } = fakeExecutor(async (req) => {
      req.onEvent?.({ type: 'started', taskId: 't-1', tool: 'file_edit', containerId: 'c1', step: 0 });
      req.onEvent?.({ type: 'stdout', taskId: 't-1', chunk: Buffer.from('the whole file') });
      return result({ tool: 'file_edit', stdout: 'a.txt: 1 replacement\n' });
    });
    const handler = createExecutorTaskHandler({
      executor,
      tools: ['file_edit'],
      multiStep: new Set(['file_edit']),
      logger: recordingLogger([]),
      metrics: new WorkerMetrics({ name: 'w', version: '0' }),
    });
    const events: TaskHandlerEvent[] = [];
    const outcome = await handler.run(
      { ...task, tool: 'file_edit' },
      { signal: new AbortController().signal, emit: (e) => events.push(e) },
    );
    expect(events).toEqual([{ type: 'started', containerId: 'c1' }]);
    expect(outcome.stdout).toBe('a.txt: 1 replacement\n');
  });

  it('turns a thrown executor error into an error outcome and a warning', async () => {
    const lines: Line[] = [];
    const { executor } = fakeExecutor(async () => {
      throw Object.assign(new Error('engine gone'), { code: 'DOCKER_ERROR' });
    });
    const handler = createExecutorTaskHandler({
      executor,
      tools: ['grep'],
      logger: recordingLogger(lines),
      metrics: new WorkerMetrics({ name: 'w', version: '0' }),
    });
    const outcome = await handler.run(task, { signal: new AbortController().signal, emit: () => undefined });
    expect(outcome).toMatchObject({
      status: 'error',
      exitCode: -1,
      error: { code: 'DOCKER_ERROR', message: 'engine gone' },
    });
    expect(lines.find((l) => l.level === 'warn')?.meta).toMatchObject({ taskId: 't-1', errorCode: 'DOCKER_ERROR' });
  });

  it('maps a null exit code and passes cancel through', async () => {
    const { executor, cancels } = fakeExecutor(async () =>
      result({ status: 'cancelled', exitCode: null, containerId: null, stopMode: 'force' }),
    );
    const handler = createExecutorTaskHandler({
      executor,
      tools: ['grep'],
      logger: recordingLogger([]),
      metrics: new WorkerMetrics({ name: 'w', version: '0' }),
    });
    const outcome = await handler.run(task, { signal: new AbortController().signal, emit: () => undefined });
    expect(outcome).toMatchObject({ status: 'cancelled', exitCode: -1, stopMode: 'force' });
    expect(outcome.containerId).toBeUndefined();
    await handler.cancel('t-1', { force: true });
    expect(cancels).toEqual([['t-1', { force: true }]]);
  });

  it("keeps a stopped task's partial output and the error's detail in the outcome", async () => {
    const { executor } = fakeExecutor(async () =>
      result({
        status: 'timeout',
        exitCode: null,
        stdout: 'printed before the timeout',
        truncated: true,
        stdoutDroppedBytes: 3,
        error: { code: 'TIMEOUT', message: 'grep timed out' },
      }),
    );
    const handler = createExecutorTaskHandler({
      executor,
      tools: ['grep'],
      logger: recordingLogger([]),
      metrics: new WorkerMetrics({ name: 'w', version: '0' }),
    });
    const ctx = { signal: new AbortController().signal, emit: () => undefined };
    expect(await handler.run(task, ctx)).toMatchObject({
      status: 'timeout',
      stdout: 'printed before the timeout',
      truncated: true,
      stdoutDroppedBytes: 3,
      error: { code: 'TIMEOUT', message: 'grep timed out' },
    });
    const failing = fakeExecutor(async () =>
      result({ status: 'failed', exitCode: 1, error: { code: 'TOOL_FAILED', message: 'm', detail: 'EDIT_NO_MATCH' } }),
    );
    const other = createExecutorTaskHandler({
      executor: failing.executor,
      tools: ['grep'],
      logger: recordingLogger([]),
      metrics: new WorkerMetrics({ name: 'w', version: '0' }),
    });
    expect((await other.run(task, ctx)).error).toEqual({ code: 'TOOL_FAILED', message: 'm', detail: 'EDIT_NO_MATCH' });
  });

  it("reports and closes the executor's sessions when it has them, and none when it does not", async () => {
    const metrics = new WorkerMetrics({ name: 'w', version: '0' });
    const bare = createExecutorTaskHandler({
      executor: fakeExecutor(async () => result()).executor,
      tools: ['grep'],
      logger: recordingLogger([]),
      metrics,
    });
    expect(bare.sessions?.()).toEqual([]);
    expect(await bare.closeSession?.('s1')).toBe(false);

    const closed: string[] = [];
    const withSessions = {
      ...fakeExecutor(async () => result({ sessionRestarted: true } as Partial<TaskResult>)).executor,
      listSessions: () => [
        {
          sessionId: 's1',
          state: 'IDLE',
          calls: 3,
          createdAt: 1000,
          lastUsedAt: new Date(2000),
          containerId: 'abcdef0123456789',
        },
        { id: 's2', state: 'busy', running: 1 },
        { state: 'no id' },
        'junk',
      ],
      closeSession: async (id: string) => (closed.push(id), id === 's1'),
    } as unknown as Executor;
    const handler = createExecutorTaskHandler({
      executor: withSessions,
      tools: ['grep'],
      logger: recordingLogger([]),
      metrics,
    });
    expect(handler.sessions?.()).toEqual([
      {
        sessionId: 's1',
        state: 'idle',
        calls: 3,
        createdAt: 1000,
        lastUsedAt: new Date(2000),
        containerId: 'abcdef012345',
      },
      { sessionId: 's2', state: 'busy', running: 1 },
    ]);
    expect(await handler.closeSession?.('s1')).toBe(true);
    expect(await handler.closeSession?.('s9')).toBe(false);
    expect(closed).toEqual(['s1', 's9']);
    const ctx = { signal: new AbortController().signal, emit: () => undefined };
    expect((await handler.run(task, ctx)).sessionRestarted).toBe(true);
  });
});
