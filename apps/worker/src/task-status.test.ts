import { toTaskFinished } from '@baaaht/agent';
import { TASK_STATUSES } from '@baaaht/executor';
import type { Executor, TaskRequest, TaskResult, TaskStatus } from '@baaaht/executor';
import { MemoryTaskStore } from '@baaaht/hub';
import { TASK_STATUS_NAMES, TaskAssignment, TaskState, taskStateWord } from '@baaaht/proto';
import { createExecutorTaskHandler } from './executor-task-handler';
import { reportFromFinished } from './hub-results';
import { quietLogger } from './logger';
import { STATUS_VOCABULARY_AGREES } from './task-status';
import { renderPrometheus } from './worker-instruments';
import { WorkerMetrics } from './worker-metrics';

const executorReturning = (status: TaskStatus): Executor =>
  ({
    executeTask: (req: TaskRequest): Promise<TaskResult> =>
      Promise.resolve({
        taskId: req.taskId ?? 't',
        tool: req.tool,
        status,
        exitCode: status === 'completed' ? 0 : null,
        stdout: '',
        stderr: '',
        truncated: false,
        stdoutDroppedBytes: 0,
        stderrDroppedBytes: 0,
        durationMs: 1,
        containerId: null,
        ...(status === 'completed' ? {} : { error: { code: 'INTERNAL' as const, message: status } }),
      }),
    cancelTask: () => true,
  }) as unknown as Executor;

describe('one status vocabulary: executor, agent, wire, hub record, CLI', () => {
  it('the executor, the agent and the wire name the same seven statuses', () => {
    expect(STATUS_VOCABULARY_AGREES).toBe(true);
    expect([...TASK_STATUSES].sort()).toEqual([...TASK_STATUS_NAMES].sort());
  });

  it.each([...TASK_STATUSES])('%s round-trips from the executor to the CLI unchanged', async (status) => {
    const metrics = new WorkerMetrics({ name: 'w', version: '0' });
    const handler = createExecutorTaskHandler({
      executor: executorReturning(status),
      tools: ['echo'],
      logger: quietLogger,
      metrics,
    });
    const task = { taskId: `t-${status}`, sessionId: '', tool: 'echo', mountSource: '', labels: {}, attempt: 1 };
    // executor → agent outcome
    const outcome = await handler.run(task, { signal: new AbortController().signal, emit: () => undefined });
    expect(outcome.status).toBe(status);
    // agent → wire
    const finished = toTaskFinished({ task, startedAt: new Date(0), containerId: '' }, outcome);
    // wire → hub record
    const store = new MemoryTaskStore();
    store.createTask({
      taskId: task.taskId,
      assignment: TaskAssignment.fromPartial({ taskId: task.taskId, tool: 'echo' }),
      selector: {},
      state: TaskState.TASK_STATE_RUNNING,
      agentId: 'a',
      agentName: 'w',
      attempts: 1,
      createdAt: 0,
      cancelRequested: false,
    });
    store.finishTask(task.taskId, finished, 1);
    const record = store.getTask(task.taskId);
    // hub record → CLI: `orchestrator status` state word and the result's status are the executor's word.
    expect(taskStateWord(record?.state ?? TaskState.TASK_STATE_UNSPECIFIED)).toBe(status);
    expect(reportFromFinished('echo', record?.finished ?? finished).status).toBe(status);
    // and /metrics counts it under the same word
    expect(await renderPrometheus(metrics.snapshot())).toMatch(
      new RegExp(`^baaaht_worker_tasks_total\\{status="${status}"\\} 1$`, 'm'),
    );
  });
});
