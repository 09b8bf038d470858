import type { TaskStatusName } from '@baaaht/proto';

/** An assignment's limit overrides; absent fields keep the tool's default (the wire's 0). */
export interface AgentTaskLimits {
  /** CPU in units of 1e-9 CPUs. */
  nanoCpus?: number;
  memoryBytes?: number;
  /** Memory + swap, as the wire's `memory_swap`. */
  memorySwapBytes?: number;
  pidsLimit?: number;
}

/**
 * One tool call as the agent hands it to the injected handler: every field of the wire's
 * `TaskAssignment` (see `toAgentTask`), with the wire's zero values turned into absent ones.
 */
export interface AgentTask {
  taskId: string;
  /** Empty when the submitter gave none. */
  sessionId: string;
  tool: string;
  params?: Record<string, unknown>;
  args?: string[];
  mountSource: string;
  timeoutMs?: number;
  limits?: AgentTaskLimits;
  labels: Record<string, string>;
  attempt: number;
  /** How long the hub keeps the task on this worker without a heartbeat; absent when it did not say. */
  leaseMs?: number;
  /**
   * The task's trace as the hub sent it (W3C `traceparent`/`tracestate` headers); absent when nobody traces.
   * The agent continues it: the handler runs inside the agent's `baaaht.task` span (the active context).
   */
  traceContext?: Record<string, string>;
}

/** What a handler reports while a task runs; forwarded to the hub as output/progress. */
export type TaskHandlerEvent =
  | { type: 'started'; containerId: string }
  | { type: 'stdout' | 'stderr'; data: Uint8Array }
  | { type: 'progress'; percent?: number; message?: string };

/** The executor's statuses, which are the wire's terminal task states (`@baaaht/proto`'s one table). */
export type TaskOutcomeStatus = TaskStatusName;

/** The terminal result of one task; field names match the executor's result. */
export interface TaskOutcome {
  status: TaskOutcomeStatus;
  exitCode: number;
  stdout: string | Uint8Array;
  stderr: string | Uint8Array;
  truncated: boolean;
  stdoutDroppedBytes?: number;
  stderrDroppedBytes?: number;
  durationMs: number;
  containerId?: string;
  structured?: unknown;
  stopMode?: 'graceful' | 'force';
  /** `detail` is the stable sub-code under `code` (file_edit's EDIT_NO_MATCH under TOOL_FAILED). */
  error?: { code: string; message: string; detail?: string };
  /** The task's session had lost its container, so a new one was started for it (TaskFinished.session_restarted). */
  sessionRestarted?: boolean;
}

/** One sandbox session a handler holds, as the agent reports it to the hub (the wire's SessionInfo). */
export interface AgentSessionInfo {
  sessionId: string;
  /** The session's state word, lower case ("starting", "ready", "busy", "closing", "broken", ...). */
  state: string;
  /** Tool calls run in the session so far. @default 0 */
  calls?: number;
  /** Calls running in it now. @default 0 */
  running?: number;
  /** Epoch ms or a Date. */
  createdAt?: number | Date;
  lastUsedAt?: number | Date;
  containerId?: string;
}

export interface TaskHandlerContext {
  /** Aborted when the hub cancels the task or the agent shuts down. */
  signal: AbortSignal;
  emit(event: TaskHandlerEvent): void;
}

/**
 * Runs tasks for the agent; the worker CLI adapts @baaaht/executor to this. The session hooks are
 * optional: a handler without them holds no sessions (it reports none and answers every close with false).
 */
export interface TaskHandler {
  tools(): string[];
  run(task: AgentTask, ctx: TaskHandlerContext): Promise<TaskOutcome>;
  cancel(taskId: string, options: { force: boolean }): void | Promise<void>;
  /** Closes one session (the hub's SessionClose); true if the handler held it. */
  closeSession?(sessionId: string): Promise<boolean> | boolean;
  /** The sessions the handler holds now; read after hello, after each task and on every heartbeat. */
  sessions?(): AgentSessionInfo[];
}
