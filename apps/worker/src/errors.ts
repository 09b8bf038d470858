/**
 * Stable codes of errors the worker CLI raises. Scripts branch on the exit code;
 * code in this package branches on `code`, never on `message`.
 * - `USAGE`: unknown command or flag, missing argument, malformed `--param`.
 * - `CONFIG_INVALID`: a configuration value is bad (flag, env var or config file); `source` names where.
 * - `CONFIG_NOT_FOUND`: `--config` names a file that does not exist.
 * - `POLICY_INVALID`: the policy file does not load.
 * - `UNKNOWN_TOOL`: no tool of that name in the catalog.
 * - `INVALID_PARAMS`: the tool's parameters fail validation.
 * - `TOOL_UNAVAILABLE`: the tool exists but this configuration cannot run it (web_search without a backend).
 * - `DOCKER_UNAVAILABLE`: no Docker engine answers.
 * - `ORCHESTRATOR_UNAVAILABLE`: the orchestrator cannot be reached.
 * - `TASK_NOT_FOUND`: the orchestrator has no task with that id (`status`, `cancel`).
 * - `QUEUE_TIMEOUT`: no worker took the task within `--queue-timeout`; it was cancelled on the orchestrator.
 * - `NOT_CANCELLED`: `cancel` of a task that had already finished, or that finished otherwise before the cancel took.
 * - `WORKER_UNAVAILABLE`: `worker status` got no answer from the status server at `--addr`.
 * - `UNAUTHENTICATED`: the orchestrator refused the auth token (a configuration error: exit 2, never retried).
 * - `INTERNAL`: anything else (a bug), normalised by `fromUnknown`.
 */
export type WorkerCliErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'POLICY_INVALID'
  | 'UNKNOWN_TOOL'
  | 'INVALID_PARAMS'
  | 'TOOL_UNAVAILABLE'
  | 'DOCKER_UNAVAILABLE'
  | 'ORCHESTRATOR_UNAVAILABLE'
  | 'TASK_NOT_FOUND'
  | 'QUEUE_TIMEOUT'
  | 'NOT_CANCELLED'
  | 'WORKER_UNAVAILABLE'
  | 'UNAUTHENTICATED'
  | 'INTERNAL';

/** Codes that mean "the operator asked for something malformed": exit code 2. */
const USAGE_CODES: ReadonlySet<WorkerCliErrorCode> = new Set([
  'USAGE',
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'POLICY_INVALID',
  'UNKNOWN_TOOL',
  'INVALID_PARAMS',
  'TOOL_UNAVAILABLE',
  'TASK_NOT_FOUND',
  'UNAUTHENTICATED',
]);

export interface WorkerCliErrorOptions {
  /** Where a bad value came from: `--dial-timeout`, `WORKER_DIAL_TIMEOUT`, `config.yaml: dial_timeout`. */
  source?: string;
  taskId?: string;
  tool?: string;
  containerId?: string;
  cause?: unknown;
}

/** The one error class the CLI throws. */
export class WorkerCliError extends Error {
  override name = 'WorkerCliError';
  readonly code: WorkerCliErrorCode;
  readonly source: string | undefined;
  readonly taskId: string | undefined;
  readonly tool: string | undefined;
  readonly containerId: string | undefined;

  constructor(code: WorkerCliErrorCode, message: string, options: WorkerCliErrorOptions = {}) {
    super(options.source ? `${options.source}: ${message}` : message, { cause: options.cause });
    this.code = code;
    this.source = options.source;
    this.taskId = options.taskId;
    this.tool = options.tool;
    this.containerId = options.containerId;
  }

  /** 2 for usage and configuration errors, 1 for everything else. */
  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }

  /** Normalises anything thrown; unknown errors become `INTERNAL` (a bug). */
  static fromUnknown(err: unknown): WorkerCliError {
    if (err instanceof WorkerCliError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new WorkerCliError('INTERNAL', message, { cause: err });
  }
}

/** Shorthand for the most common error: exit code 2 with one line. */
export function usageError(message: string, source?: string): WorkerCliError {
  return new WorkerCliError('USAGE', message, source === undefined ? {} : { source });
}

/** A bad configuration value, named by its source. */
export function configError(source: string, message: string): WorkerCliError {
  return new WorkerCliError('CONFIG_INVALID', message, { source });
}
