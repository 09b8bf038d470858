import type { FsErrorCode } from '@baaaht/tool-specs';

/**
 * Stable codes of everything the executor reports. Callers branch on `code`, never on `message`.
 * - `INVALID_PARAMS`: the call's parameters failed the tool's validation (message names the parameter path).
 * - `INVALID_REQUEST`: the request itself is malformed (no tool name, bad timeout, duplicate task id, missing workspace).
 * - `UNKNOWN_TOOL`: no tool of that name in the catalog.
 * - `POLICY_DENIED`: the policy enforcer refused the container (status `denied`).
 * - `TOOL_FAILED`: the tool ran and reported failure (non-zero exit, or a tool-level error such as `EDIT_NO_MATCH`
 *   carried in `toolCode`).
 * - `TIMEOUT`: the whole-task timeout expired (status `timeout`).
 * - `CANCELLED`: `cancelTask`, the caller's `signal` or `close()` stopped the task (status `cancelled`).
 * - `OOM`: the kernel killed the tool for exceeding its memory limit (status `oom`).
 * - `IMAGE_NOT_FOUND`: the tool's image is not present and could not be pulled.
 * - `RUNTIME_UNAVAILABLE`: the requested OCI runtime is not registered with the Docker engine.
 * - `QUEUE_FULL`: all slots are busy and the wait queue is at `maxQueuedTasks`.
 * - `EXECUTOR_CLOSED`: the executor is closing or closed.
 * - `PROTECTED_PATH`: a write tool targeted a protected workspace path (`mounts.protected_paths`, e.g. `.git`), directly
 *   or through a symlink, or a protected path is itself a symlink (status `denied`).
 * - `HARDLINK_REFUSED`: a file tool targeted a regular file with more than one hard link (status `denied`).
 * - `NOT_FOUND`, `IS_A_DIRECTORY`, `NOT_A_DIRECTORY`, `PERMISSION_DENIED`, `NOT_A_REGULAR_FILE`: a file tool met a
 *   file-system condition the model can act on; the message names the workspace path, and for `PERMISSION_DENIED`
 *   the uid the tool ran as, why, and the fix (status `failed`). `NOT_A_REGULAR_FILE` and `IS_A_DIRECTORY` for a
 *   declared target are found on the host before any container exists.
 * - `EGRESS_ERROR`: the egress proxy for a web tool could not be set up.
 * - `WORKSPACE_CHANGED`: the mount identity gate found that the container's workspace is not the directory the
 *   policy judged (it was swapped between the check and the mount); the tool never ran (status `denied`).
 * - `MOUNT_PIN_UNAVAILABLE`: the runtime cannot prove a workspace mount's identity (gVisor), so file tools refuse.
 * - `WORKER_ID_IN_USE`: `workerIdConflict: 'refuse'` and a live instance on this host holds the worker id.
 * - `INSTANCE_DIR_UNSAFE`: the instance lease directory cannot be created or is writable by others.
 * - `SANDBOX_AGENT_MISSING`: the in-sandbox agent binary was not built (`pnpm build` needs gcc and a static libc).
 * - `SANDBOX_AGENT_PROTOCOL`: a malformed or oversize frame from or to the in-sandbox agent; the stream is unusable.
 * - `SANDBOX_AGENT_GONE`: the in-sandbox agent exited or its streams closed while calls were running.
 * - `SANDBOX_CALL_FAILED`: the agent could not start a call; `detail` is its code (`EXEC_FAILED`, `CHDIR_FAILED`,
 *   `BAD_REQUEST`, `TOO_MANY_CALLS`, `SPAWN_FAILED`).
 * - `SESSION_LIMIT`: a new session would exceed `sessions.maxSessions` and none could be evicted (`whenFull`).
 * - `SESSION_MISMATCH`: the call's judged plan would shape another container than its session is bound to
 *   (other workspace, image, limits...); the message names each field that differs.
 * - `SESSION_CLOSED`: the call's session was closed (explicitly, evicted, drained) while the call ran.
 * - `DOCKER_ERROR`: the Docker engine failed a call.
 * - `ILLEGAL_STATE`: a task's lifecycle was asked for a transition it does not allow (a bug; see task-lifecycle.ts).
 * - `INTERNAL`: anything else (a bug), normalised by `fromUnknown`.
 */
export type ExecutorErrorCode =
  | 'INVALID_PARAMS'
  | 'INVALID_REQUEST'
  | 'UNKNOWN_TOOL'
  | 'POLICY_DENIED'
  | 'TOOL_FAILED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'OOM'
  | 'IMAGE_NOT_FOUND'
  | 'RUNTIME_UNAVAILABLE'
  | 'QUEUE_FULL'
  | 'EXECUTOR_CLOSED'
  | 'EGRESS_ERROR'
  | 'PROTECTED_PATH'
  | 'HARDLINK_REFUSED'
  | FsErrorCode
  | 'EGRESS_DENIED'
  | 'WORKSPACE_CHANGED'
  | 'MOUNT_PIN_UNAVAILABLE'
  | 'WORKER_ID_IN_USE'
  | 'INSTANCE_DIR_UNSAFE'
  | 'SANDBOX_AGENT_MISSING'
  | 'SANDBOX_AGENT_PROTOCOL'
  | 'SANDBOX_AGENT_GONE'
  | 'SANDBOX_CALL_FAILED'
  | 'SESSION_LIMIT'
  | 'SESSION_MISMATCH'
  | 'SESSION_CLOSED'
  | 'DOCKER_ERROR'
  | 'ILLEGAL_STATE'
  | 'INTERNAL';

export interface ExecutorErrorOptions {
  taskId?: string;
  tool?: string;
  containerId?: string;
  /** A tool-level code (e.g. `EDIT_NO_MATCH`) under `TOOL_FAILED`, or a policy rule under `POLICY_DENIED`. */
  detail?: string;
  cause?: unknown;
}

/** The one error class this package throws. */
export class ExecutorError extends Error {
  override name = 'ExecutorError';
  readonly code: ExecutorErrorCode;
  readonly taskId: string | undefined;
  readonly tool: string | undefined;
  readonly containerId: string | undefined;
  readonly detail: string | undefined;

  constructor(code: ExecutorErrorCode, message: string, options: ExecutorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.taskId = options.taskId;
    this.tool = options.tool;
    this.containerId = options.containerId;
    this.detail = options.detail;
  }

  /** Normalises anything thrown into an `ExecutorError` (`INTERNAL` unless it already is one). */
  static fromUnknown(err: unknown, context: Omit<ExecutorErrorOptions, 'cause'> = {}): ExecutorError {
    if (err instanceof ExecutorError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ExecutorError('INTERNAL', message, { ...context, cause: err });
  }
}

/** Docker engine failures keep their HTTP status so callers can tell 404 from 500. */
export function dockerError(
  action: string,
  err: unknown,
  context: Omit<ExecutorErrorOptions, 'cause'> = {},
): ExecutorError {
  if (err instanceof ExecutorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const lost = lostEngineConnection(err);
  const why = lost === undefined || message.includes('the engine') ? '' : ` (the Docker engine ${lost})`;
  return new ExecutorError('DOCKER_ERROR', `${action}: ${message}${why}`, { ...context, cause: err });
}

const CONNECTION_CODES: Readonly<Record<string, string>> = {
  ECONNRESET: 'closed the connection',
  EPIPE: 'closed the connection',
  ECONNREFUSED: 'refused the connection',
  ENOENT: 'is not listening (no socket)',
};

/** How the connection to the engine was lost, when that is what `err` says (a daemon restart, a crash). */
function lostEngineConnection(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in CONNECTION_CODES) return CONNECTION_CODES[code];
  // Not `instanceof Error`: Node's own errors come from another realm under a test runner's sandbox.
  if (/socket hang up/.test(String((err as { message?: unknown } | null)?.message))) return 'closed the connection';
  return undefined;
}

/** HTTP status of a dockerode error, when it has one. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
