import type { ExecutorErrorCode } from './errors';

/**
 * How a task ended. Every status but `completed` comes with `error.code`:
 * `failed` TOOL_FAILED, `error` (INVALID_PARAMS, UNKNOWN_TOOL, IMAGE_NOT_FOUND, DOCKER_ERROR, ...),
 * `denied` POLICY_DENIED, `timeout` TIMEOUT, `cancelled` CANCELLED / EXECUTOR_CLOSED, `oom` OOM.
 */
export type TaskStatus = 'completed' | 'failed' | 'error' | 'denied' | 'timeout' | 'cancelled' | 'oom';

export const TASK_STATUSES: readonly TaskStatus[] = Object.freeze([
  'completed',
  'failed',
  'error',
  'denied',
  'timeout',
  'cancelled',
  'oom',
]);

/** How a running container was stopped. */
export type StopMode = 'graceful' | 'force';

/**
 * Per-task limits; each may only tighten the tool's own limit (a larger value is ignored: the tool's
 * limit and the executor's output caps are the maximums when there is no policy). `cpus`, `memoryBytes`
 * and `pidsLimit` are also shown to the policy as explicitly requested: one above a policy quota is
 * `denied` with `POLICY_DENIED` naming the quota (detail `quotas.max_memory`, ...).
 */
export interface TaskLimits {
  cpus?: number;
  memoryBytes?: number;
  pidsLimit?: number;
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  maxOutputBytes?: number;
}

/** Lifecycle of one task, as seen in events and `executor.taskState()`. */
export type TaskState = 'queued' | 'starting' | 'running' | 'stopping' | 'done';

/** One live task as `executor.liveTasks()` reports it: a snapshot, not a handle. */
export interface LiveTaskInfo {
  taskId: string;
  tool: string;
  /** Never `done`: a done task is not live. */
  state: Exclude<TaskState, 'done'>;
  /** When `executeTask` was called (the executor's clock, ms since the epoch), including time queued. */
  startedAt: number;
  /** The container running now, or the last one created (multi-step tools); null before the first. */
  containerId: string | null;
  /** The `org.baaaht.session-id` its containers get; null when neither the request nor the executor has one. */
  sessionId: string | null;
}

export type TaskEvent =
  | { type: 'queued'; taskId: string; tool: string }
  | {
      type: 'started';
      taskId: string;
      tool: string;
      containerId: string;
      /** 0-based command index for multi-step tools. */ step: number;
    }
  | { type: 'stdout'; taskId: string; chunk: Buffer }
  | { type: 'stderr'; taskId: string; chunk: Buffer }
  | { type: 'exited'; taskId: string; tool: string; exitCode: number | null; status: TaskStatus };

export interface TaskRequest {
  /** Tool name in the executor's catalog. */
  tool: string;
  /** Parameters (validated against the tool's schema). */
  params?: Record<string, unknown>;
  /** Legacy raw args (the seed's `TaskConfig.Args`), mapped through the tool's allowlist. Ignored when `params` is given. */
  args?: readonly string[];
  /** Host directory mounted at /workspace (resolved with realpath). Required by tools that use a workspace. */
  mountSource?: string;
  /** Whole-task timeout (image check, create, run), excluding time spent queued. @default the tool's timeoutMs */
  timeoutMs?: number;
  /** Caller's id; must be unique among live tasks. @default a random UUID */
  taskId?: string;
  /** Labels the containers as `org.baaaht.session-id`. @default the executor's sessionId */
  sessionId?: string;
  /**
   * The caller's labels, put on each container as `org.baaaht.label.<key>=<value>` (never over the
   * executor's own `org.baaaht.*` labels). Keys are lowercase alphanumerics separated by single `.`, `-`
   * or `_` (at most 63 characters), values at most 256 bytes without control characters, at most 32
   * labels; anything else is refused with INVALID_REQUEST (detail `INVALID_LABEL`) before any container.
   * @default none
   */
  labels?: Readonly<Record<string, string>>;
  /** Aborting it cancels the task gracefully, like `cancelTask`. */
  signal?: AbortSignal;
  limits?: TaskLimits;
  /** Called synchronously for each event; exceptions are logged and ignored. */
  onEvent?(event: TaskEvent): void;
}

export interface TaskError {
  code: ExecutorErrorCode;
  message: string;
  /** A finer code: the tool's outcome code under TOOL_FAILED (e.g. `EDIT_NO_MATCH`), the tool-specs code otherwise. */
  detail?: string;
}

export interface TaskResult {
  taskId: string;
  tool: string;
  status: TaskStatus;
  /** The tool's exit code; null when it never ran or was stopped before exiting on its own. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** True when output was cut at a byte cap (or by the tool's own result cap). */
  truncated: boolean;
  stdoutDroppedBytes: number;
  stderrDroppedBytes: number;
  durationMs: number;
  /** The last container the task ran in, or null if none was created. */
  containerId: string | null;
  /** Parsed output for tools with `parseOutput` (web_search results, grep matches, ...). */
  structured?: unknown;
  /** Set when the executor stopped the container (timeout, cancel, close). */
  stopMode?: StopMode;
  error?: TaskError;
  /**
   * Sessions: the task's session had lost its container (it died) and this task ran on a new one, so
   * whatever the session kept before (files in /tmp, processes) is gone.
   */
  sessionRestarted?: true;
}
