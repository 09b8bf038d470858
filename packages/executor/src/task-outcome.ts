import os from 'node:os';
import { isFsErrorCode, ToolSpecError } from '@baaaht/tool-specs';
import type { ToolRunOutcome, ToolSpec } from '@baaaht/tool-specs';
import type { EgressDecisionEvent } from './egress-proxy';
import { ExecutorError } from './errors';
import type { ExecutorErrorCode } from './errors';
import type { OutputCollector } from './output-demux';
import { permissionDeniedMessage } from './permission-hint';
import type { StopRequest } from './task-lifecycle';
import type { TaskError, TaskResult, TaskStatus } from './task-types';

/**
 * Maps how a task ended (a refusal, the tool's exit, a stop recorded by the lifecycle, an error) to its
 * `TaskResult` status and error. The one place that decides a status; runtimes only report exits.
 */

/** What a finished task left behind, before it becomes a TaskResult. */
export interface Outcome {
  status: TaskStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  structured?: unknown;
  error?: TaskError;
}

export const errorOutcome = (
  status: TaskStatus,
  code: ExecutorErrorCode,
  message: string,
  detail?: string,
): Outcome => ({
  status,
  exitCode: null,
  stdout: '',
  stderr: '',
  truncated: false,
  error: detail === undefined ? { code, message } : { code, message, detail },
});

/**
 * Exit codes above 128 mean a signal. The executor's own stops end as `cancelled` or `timeout`, so a
 * signal here came from elsewhere: the kernel, or the Docker daemon stopping its containers.
 */
export function exitMessage(tool: string, exitCode: number): string {
  if (exitCode > 128 && exitCode < 160) {
    const signal =
      Object.entries(os.constants.signals).find(([, n]) => n === exitCode - 128)?.[0] ?? `signal ${exitCode - 128}`;
    return `${tool} was killed by ${signal} (exit code ${exitCode}), not by the worker: the Docker daemon or the host stopped it`;
  }
  return `${tool} exited with code ${exitCode}`;
}

/** A web tool failed after the egress proxy refused one of its connections: report the refusal, keep the output. */
export function egressDeniedOutcome(outcome: Outcome, d: EgressDecisionEvent): Outcome {
  const target = `${d.address !== undefined && d.address !== d.host ? `${d.host} (${d.address})` : d.host}:${d.port}`;
  return {
    ...outcome,
    status: 'denied',
    error: { code: 'EGRESS_DENIED', message: `egress to ${target} refused by ${d.rule}: ${d.reason}`, detail: d.rule },
  };
}

/** The tool ran to its end: `ok` says whether its exit (or run() outcome) means success. */
export function completeOutcome(
  spec: ToolSpec,
  params: Record<string, unknown>,
  who: { user: string; workspaceUid: number | undefined },
  r: ToolRunOutcome,
  ok: boolean,
): Outcome {
  const base = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated };
  if (!ok) {
    // A failed call may still have a result worth reporting (exec: exit code, signal, truncation).
    if (r.structured !== undefined) return { ...failedOutcome(spec, who, r), structured: r.structured };
    return failedOutcome(spec, who, r);
  }
  // run() may have parsed its raw output already; its stdout is then post-processed, not parseOutput's input.
  if (r.structured !== undefined) return { ...base, status: 'completed', structured: r.structured };
  if (spec.parseOutput === undefined) return { ...base, status: 'completed' };
  try {
    return { ...base, status: 'completed', structured: spec.parseOutput(r, params) };
  } catch (err) {
    const e = ToolSpecError.fromUnknown(err, spec.name);
    return { ...base, status: 'failed', error: { code: 'TOOL_FAILED', message: e.message, detail: e.code } };
  }
}

/** The tool ran to its end and failed: a file-system code when it met one, else TOOL_FAILED (detail: its code). */
function failedOutcome(
  spec: ToolSpec,
  who: { user: string; workspaceUid: number | undefined },
  r: ToolRunOutcome,
): Outcome {
  const base = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated };
  const toolError = r.error;
  // A file-system condition the model can act on is the result's own code, whichever tool met it.
  if (toolError !== undefined && isFsErrorCode(toolError.code)) {
    const message =
      toolError.code === 'PERMISSION_DENIED'
        ? permissionDeniedMessage(toolError.message, who.user, who.workspaceUid)
        : toolError.message;
    return { ...base, status: 'failed', error: { code: toolError.code, message } };
  }
  const message = toolError?.message ?? exitMessage(spec.name, r.exitCode);
  return {
    ...base,
    status: 'failed',
    error:
      toolError === undefined
        ? { code: 'TOOL_FAILED', message }
        : { code: 'TOOL_FAILED', message, detail: toolError.code },
  };
}

/** What the step that was running when the task stopped had printed (a run() tool's earlier steps fed the tool). */
export function partialOutput(
  collectors: readonly OutputCollector[],
): Pick<Outcome, 'stdout' | 'stderr' | 'truncated'> {
  const last = collectors[collectors.length - 1];
  return {
    stdout: last?.text('stdout') ?? '',
    stderr: last?.text('stderr') ?? '',
    truncated: last?.truncated ?? false,
  };
}

/** The outcome of a task the lifecycle recorded as stopped, whatever the steps threw meanwhile. */
export function stoppedOutcome(stop: StopRequest, tool: string, collectors: readonly OutputCollector[]): Outcome {
  const out = { ...partialOutput(collectors), exitCode: null };
  switch (stop.reason) {
    case 'timeout':
      return { ...out, status: 'timeout', error: { code: 'TIMEOUT', message: `${tool} timed out` } };
    case 'closed':
      return {
        ...out,
        status: 'cancelled',
        error: { code: 'EXECUTOR_CLOSED', message: 'the executor was closed while the task was live' },
      };
    case 'oom':
      return {
        ...out,
        status: 'oom',
        error: { code: 'OOM', message: `${tool} exceeded its memory limit and was killed` },
      };
    case 'cancelled':
      return {
        ...out,
        status: 'cancelled',
        error: { code: 'CANCELLED', message: `${tool} was cancelled (${stop.mode})` },
      };
  }
}

/** A tool-specs failure (planning a command, a run() that threw) in the executor's codes. */
export function toolSpecOutcome(err: unknown, tool: string): Outcome {
  const e = ToolSpecError.fromUnknown(err, tool);
  const code: ExecutorErrorCode =
    e.code === 'INVALID_PARAMS' || e.code === 'INVALID_PATH'
      ? 'INVALID_PARAMS'
      : e.code === 'INTERNAL'
        ? 'INTERNAL'
        : 'INVALID_REQUEST';
  return errorOutcome('error', code, e.message, e.code);
}

/** A thrown error of a task that was not stopped; undefined for anything unexpected (a bug). */
export function thrownOutcome(err: unknown, tool: string): Outcome | undefined {
  if (err instanceof ExecutorError)
    return errorOutcome(err.code === 'WORKSPACE_CHANGED' ? 'denied' : 'error', err.code, err.message, err.detail);
  if (err instanceof ToolSpecError) return toolSpecOutcome(err, tool);
  return undefined;
}

/** The result, with the dropped-byte counts of every step. */
export function toTaskResult(
  task: {
    taskId: string;
    tool: string;
    containerId: string | null;
    collectors: readonly OutputCollector[];
    sessionRestarted?: boolean;
  },
  outcome: Outcome,
  durationMs: number,
  stop: StopRequest | undefined,
): TaskResult {
  const dropped = task.collectors.reduce(
    (acc, c) => ({ stdout: acc.stdout + c.dropped.stdout, stderr: acc.stderr + c.dropped.stderr }),
    { stdout: 0, stderr: 0 },
  );
  const result: TaskResult = {
    taskId: task.taskId,
    tool: task.tool,
    status: outcome.status,
    exitCode: outcome.exitCode,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    truncated: outcome.truncated || dropped.stdout + dropped.stderr > 0,
    stdoutDroppedBytes: dropped.stdout,
    stderrDroppedBytes: dropped.stderr,
    durationMs,
    containerId: task.containerId,
  };
  if (outcome.structured !== undefined) result.structured = outcome.structured;
  if (stop !== undefined && 'mode' in stop) result.stopMode = stop.mode;
  if (outcome.error !== undefined) result.error = outcome.error;
  if (task.sessionRestarted === true) result.sessionRestarted = true;
  return result;
}
