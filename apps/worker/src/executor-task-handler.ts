import type {
  AgentSessionInfo,
  AgentTask,
  TaskHandler,
  TaskHandlerContext,
  TaskOutcome,
  TaskOutcomeStatus,
} from '@baaaht/agent';
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
    sessions: () => listSessions(executor),
    async closeSession(sessionId) {
      const api = sessionApi(executor);
      if (typeof api.closeSession !== 'function') return false;
      const closed = (await api.closeSession(sessionId)) as unknown;
      options.logger.info('session close', { sessionId, closed: closed === true });
      return closed === true;
    },
  };
}

/**
 * The executor's session API, where it has one. Read structurally so this adapter compiles with and without
 * it: `listSessions()` returning session objects, `closeSession(id)` resolving true if it held the session.
 */
interface ExecutorSessionApi {
  listSessions?: () => unknown;
  closeSession?: (sessionId: string) => unknown;
}

const sessionApi = (executor: Executor): ExecutorSessionApi => executor as unknown as ExecutorSessionApi;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const time = (v: unknown): number | Date | undefined => (v instanceof Date ? v : num(v));

/** The executor's sessions as the agent reports them; anything without an id is skipped. */
function listSessions(executor: Executor): AgentSessionInfo[] {
  const api = sessionApi(executor);
  if (typeof api.listSessions !== 'function') return [];
  const listed = api.listSessions() as unknown;
  if (!Array.isArray(listed)) return [];
  const out: AgentSessionInfo[] = [];
  for (const item of listed as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const s = item as Record<string, unknown>;
    const sessionId = str(s['sessionId']) ?? str(s['id']);
    if (!sessionId) continue;
    const info: AgentSessionInfo = { sessionId, state: (str(s['state']) ?? 'unknown').toLowerCase() };
    const calls = num(s['calls']) ?? num(s['callCount']);
    if (calls !== undefined) info.calls = calls;
    const running = num(s['running']);
    if (running !== undefined) info.running = running;
    const createdAt = time(s['createdAt']);
    if (createdAt !== undefined) info.createdAt = createdAt;
    const lastUsedAt = time(s['lastUsedAt']);
    if (lastUsedAt !== undefined) info.lastUsedAt = lastUsedAt;
    const containerId = str(s['containerId']);
    if (containerId) info.containerId = containerId.slice(0, 12);
    out.push(info);
  }
  return out;
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
  // Read structurally until the executor's TaskResult declares it (the sessions branch adds it).
  if ((result as { sessionRestarted?: unknown }).sessionRestarted === true) outcome.sessionRestarted = true;
  return outcome;
}
