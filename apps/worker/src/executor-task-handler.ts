import type { AgentTask, TaskHandler, TaskHandlerContext, TaskOutcome, TaskOutcomeStatus } from '@baaaht/agent';
import { TASK_STATUSES } from '@baaaht/executor';
import type { Executor, TaskEvent, TaskResult } from '@baaaht/executor';
import { assignmentToRequest } from './assignment-to-request';
import type { CliLogger } from './logger';
import type { WorkerMetrics } from './worker-metrics';

// The executor's list; task-status.ts proves at compile time that it equals the agent's and the proto's.
const OUTCOME_STATUSES: ReadonlySet<string> = new Set(TASK_STATUSES);

export interface ExecutorTaskHandlerOptions {
  executor: Executor;
  tools: readonly string[];
  /** Tools whose live output is not their result (several commands per task); their output is not forwarded. */
  multiStep?: ReadonlySet<string>;
  logger: CliLogger;
  metrics: WorkerMetrics;
}

/**
 * Adapts the executor to the agent's `TaskHandler`: forwards events, maps the
 * result to an outcome, and logs every task with taskId, tool and containerId.
 */
export function createExecutorTaskHandler(options: ExecutorTaskHandlerOptions): TaskHandler {
  const { executor, metrics } = options;
  return {
    tools: () => [...options.tools],
    async run(task: AgentTask, ctx: TaskHandlerContext): Promise<TaskOutcome> {
      const base = options.logger.child({ taskId: task.taskId, tool: task.tool });
      let log = base;
      log.info('task started', {
        sessionId: task.sessionId || undefined,
        attempt: task.attempt,
        mountSource: task.mountSource || undefined,
      });
      metrics.taskStarted(task.tool);
      let boundContainer: string | undefined;
      const onEvent = (event: TaskEvent): void => {
        if (event.type === 'started') {
          // Multi-step tools start one container per step; bind the latest.
          if (boundContainer !== event.containerId) log = base.child({ containerId: event.containerId });
          boundContainer = event.containerId;
          log.debug('container started', { step: event.step });
          ctx.emit({ type: 'started', containerId: event.containerId });
        } else if ((event.type === 'stdout' || event.type === 'stderr') && !options.multiStep?.has(task.tool)) {
          // A multi-step tool's intermediate output (file_edit reading the file) is not its result.
          ctx.emit({ type: event.type, data: event.chunk });
        }
      };
      let outcome: TaskOutcome;
      try {
        const result = await executor.executeTask(assignmentToRequest(task, { signal: ctx.signal, onEvent }));
        outcome = toOutcome(result);
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        outcome = {
          status: e.code === 'CANCELLED' ? 'cancelled' : 'error',
          exitCode: -1,
          stdout: '',
          stderr: '',
          truncated: false,
          durationMs: 0,
          error: {
            code: typeof e.code === 'string' ? e.code : 'ERROR',
            message: typeof e.message === 'string' ? e.message : String(err),
          },
        };
      }
      metrics.taskFinished(outcome.status);
      if (outcome.containerId && outcome.containerId !== boundContainer)
        log = base.child({ containerId: outcome.containerId });
      const meta = {
        status: outcome.status,
        exitCode: outcome.exitCode,
        durationMs: outcome.durationMs,
        error: outcome.error?.message,
        errorCode: outcome.error?.code,
      };
      if (outcome.status === 'completed') log.info('task completed', meta);
      else log.warn('task did not complete', meta);
      return outcome;
    },
    cancel(taskId, { force }) {
      options.logger.info('cancelling task', { taskId, force });
      executor.cancelTask(taskId, { force });
    },
  };
}

function toOutcome(result: TaskResult): TaskOutcome {
  const status = (OUTCOME_STATUSES.has(result.status) ? result.status : 'error') as TaskOutcomeStatus;
  const outcome: TaskOutcome = {
    status,
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : -1,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    truncated: result.truncated ?? false,
    durationMs: result.durationMs ?? 0,
  };
  if (result.containerId) outcome.containerId = result.containerId;
  if (result.structured !== undefined) outcome.structured = result.structured;
  if (result.stopMode) outcome.stopMode = result.stopMode;
  if (result.error)
    outcome.error =
      result.error.detail === undefined
        ? { code: result.error.code, message: result.error.message }
        : { code: result.error.code, message: result.error.message, detail: result.error.detail };
  if (result.stdoutDroppedBytes !== undefined) outcome.stdoutDroppedBytes = result.stdoutDroppedBytes;
  if (result.stderrDroppedBytes !== undefined) outcome.stderrDroppedBytes = result.stderrDroppedBytes;
  return outcome;
}
