import { OutputStream, TaskFinished, taskStateFromStatus } from '@baaaht/proto';
import { SessionInfo } from '@baaaht/proto';
import type { WorkerMessage } from '@baaaht/proto';
import type { AgentSessionInfo, AgentTask, TaskHandlerEvent, TaskOutcome } from './task-handler';

/** What the wire reports of a task need to know about its run (the task runner's entry). */
export interface ReportedTask {
  task: AgentTask;
  startedAt: Date;
  /** The container the handler said it started, `''` before that. */
  containerId: string;
  /** Bytes sent so far per stream: the offset of the next output chunk. */
  offsets: { stdout: number; stderr: number };
}

function bytes(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/** Converts a handler outcome to the wire report; every non-completed state carries a typed error. */
export function toTaskFinished(
  entry: Pick<ReportedTask, 'task' | 'startedAt' | 'containerId'>,
  outcome: TaskOutcome,
): TaskFinished {
  const error =
    outcome.error ??
    (outcome.status === 'completed' ? undefined : { code: outcome.status.toUpperCase(), message: outcome.status });
  return TaskFinished.fromPartial({
    taskId: entry.task.taskId,
    state: taskStateFromStatus(outcome.status),
    exitCode: outcome.exitCode,
    stdout: bytes(outcome.stdout),
    stderr: bytes(outcome.stderr),
    truncated: outcome.truncated,
    stdoutDroppedBytes: outcome.stdoutDroppedBytes ?? 0,
    stderrDroppedBytes: outcome.stderrDroppedBytes ?? 0,
    durationMs: Math.max(0, Math.round(outcome.durationMs)),
    containerId: outcome.containerId ?? entry.containerId,
    ...(error ? { error: { code: error.code, message: error.message, detail: outcome.error?.detail ?? '' } } : {}),
    startedAt: entry.startedAt,
    finishedAt: new Date(),
    attempt: entry.task.attempt,
    structuredJson: outcome.structured === undefined ? '' : JSON.stringify(outcome.structured),
    stopMode: outcome.stopMode ?? '',
    sessionRestarted: outcome.sessionRestarted === true,
  });
}

const toDate = (value: number | Date | undefined): Date | undefined =>
  value === undefined ? undefined : value instanceof Date ? value : new Date(value);

/** A handler's session as the wire reports it (counts made whole and non-negative). */
export function toSessionInfo(info: AgentSessionInfo): SessionInfo {
  const count = (n: number | undefined): number =>
    typeof n === 'number' && Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
  return SessionInfo.fromPartial({
    sessionId: info.sessionId,
    state: info.state,
    calls: count(info.calls),
    running: count(info.running),
    createdAt: toDate(info.createdAt),
    lastUsedAt: toDate(info.lastUsedAt),
    containerId: info.containerId ?? '',
  });
}

/**
 * The Work-stream message for a handler event: `started` and `progress` become progress reports,
 * output becomes a chunk at the stream's running offset (advanced here, so offsets never skip).
 */
export function handlerEventMessage(entry: ReportedTask, event: TaskHandlerEvent): WorkerMessage {
  const { taskId } = entry.task;
  switch (event.type) {
    case 'started':
      entry.containerId = event.containerId;
      return {
        payload: {
          $case: 'progress',
          value: { taskId, percent: 0, message: 'started', containerId: event.containerId },
        },
      };
    case 'stdout':
    case 'stderr': {
      const offset = entry.offsets[event.type];
      entry.offsets[event.type] += event.data.byteLength;
      const stream = event.type === 'stdout' ? OutputStream.OUTPUT_STREAM_STDOUT : OutputStream.OUTPUT_STREAM_STDERR;
      return { payload: { $case: 'output', value: { taskId, stream, data: Buffer.from(event.data), offset } } };
    }
    case 'progress':
      return {
        payload: {
          $case: 'progress',
          value: { taskId, percent: event.percent ?? 0, message: event.message ?? '', containerId: entry.containerId },
        },
      };
  }
}

/** The outcome the agent reports on a handler's behalf (it threw, or never returned after cancellation). */
export function failureOutcome(
  status: TaskOutcome['status'],
  code: string,
  message: string,
  startedAt: Date,
): TaskOutcome {
  return {
    status,
    exitCode: -1,
    stdout: '',
    stderr: '',
    truncated: false,
    durationMs: Date.now() - startedAt.getTime(),
    error: { code, message },
  };
}
