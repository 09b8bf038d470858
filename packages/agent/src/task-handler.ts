/** One tool call as the agent hands it to the injected handler. */
export interface AgentTask {
  taskId: string;
  sessionId: string;
  tool: string;
  params?: Record<string, unknown>;
  args?: string[];
  mountSource: string;
  timeoutMs?: number;
  limits?: { nanoCpus?: number; memoryBytes?: number; pidsLimit?: number };
  labels: Record<string, string>;
  attempt: number;
}

/** What a handler reports while a task runs; forwarded to the hub as output/progress. */
export type TaskHandlerEvent =
  | { type: 'started'; containerId: string }
  | { type: 'stdout' | 'stderr'; data: Uint8Array }
  | { type: 'progress'; percent?: number; message?: string };

export type TaskOutcomeStatus = 'completed' | 'failed' | 'timeout' | 'cancelled' | 'denied' | 'oom' | 'error';

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
}

export interface TaskHandlerContext {
  /** Aborted when the hub cancels the task or the agent shuts down. */
  signal: AbortSignal;
  emit(event: TaskHandlerEvent): void;
}

/** Runs tasks for the agent; the worker CLI adapts @baaaht/executor to this. */
export interface TaskHandler {
  tools(): string[];
  run(task: AgentTask, ctx: TaskHandlerContext): Promise<TaskOutcome>;
  cancel(taskId: string, options: { force: boolean }): void | Promise<void>;
}
