/**
 * The one JSON object `worker run --json` and `orchestrator exec --json` print,
 * and the one-line human summary printed otherwise.
 */
import { writeOut } from './cli-io';
import { formatDuration } from './durations';

/** A task's outcome as the CLI reports it. */
export interface TaskReport {
  /** The orchestrator's task id (`orchestrator exec`); `worker run` has none. */
  taskId?: string;
  tool: string;
  status: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  containerId: string | null;
  /** `detail`, when present, is the stable sub-code under `code` (file_edit's EDIT_NO_MATCH under TOOL_FAILED). */
  error: { code: string; message: string; detail?: string } | null;
  /** Tool-specific parsed output (e.g. web_search results), when the tool produces one. */
  structured?: unknown;
  /** Bytes of a stream dropped at the output caps; present only when some were. */
  stdoutDroppedBytes?: number;
  stderrDroppedBytes?: number;
}

/** Fields a result from the executor, the agent or the hub may carry. */
export interface ResultLike {
  tool?: string;
  status?: string;
  exitCode?: number | null;
  stdout?: string | Uint8Array;
  stderr?: string | Uint8Array;
  truncated?: boolean;
  durationMs?: number;
  containerId?: string | null;
  structured?: unknown;
  error?: unknown;
  stdoutDroppedBytes?: number | bigint;
  stderrDroppedBytes?: number | bigint;
}

export function toTaskReport(tool: string, result: ResultLike): TaskReport {
  const report: TaskReport = {
    tool: result.tool ?? tool,
    status: result.status ?? 'error',
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    stdout: text(result.stdout),
    stderr: text(result.stderr),
    truncated: result.truncated ?? false,
    durationMs: Math.round(result.durationMs ?? 0),
    containerId: result.containerId ? result.containerId : null,
    error: toErrorField(result.error),
  };
  if (result.structured !== undefined) report.structured = result.structured;
  const stdoutDropped = Number(result.stdoutDroppedBytes ?? 0);
  const stderrDropped = Number(result.stderrDroppedBytes ?? 0);
  if (stdoutDropped > 0) report.stdoutDroppedBytes = stdoutDropped;
  if (stderrDropped > 0) report.stderrDroppedBytes = stderrDropped;
  return report;
}

/** The signal that ended the tool, when its result names one (exec's `structured.signal`). */
function signalOf(report: TaskReport): string | undefined {
  const s = report.structured as { signal?: unknown } | null | undefined;
  return typeof s === 'object' && s !== null && typeof s.signal === 'string' ? s.signal : undefined;
}

/** `output truncated`, or per stream with the dropped byte counts when the result has them. */
export function truncationText(report: TaskReport): string | undefined {
  const parts: string[] = [];
  if (report.stdoutDroppedBytes !== undefined)
    parts.push(`stdout truncated (${report.stdoutDroppedBytes} bytes dropped)`);
  if (report.stderrDroppedBytes !== undefined)
    parts.push(`stderr truncated (${report.stderrDroppedBytes} bytes dropped)`);
  if (parts.length > 0) return parts.join(', ');
  return report.truncated ? 'output truncated' : undefined;
}

/** The report for a task that never ran (unknown tool, bad parameters, ...). */
export function errorReport(tool: string, code: string, message: string): TaskReport {
  return {
    tool,
    status: 'error',
    exitCode: null,
    stdout: '',
    stderr: '',
    truncated: false,
    durationMs: 0,
    containerId: null,
    error: { code, message },
  };
}

export function toErrorField(error: unknown): TaskReport['error'] {
  if (error === undefined || error === null) return null;
  if (typeof error === 'string') return { code: 'ERROR', message: error };
  if (typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown; detail?: unknown };
    const field: NonNullable<TaskReport['error']> = {
      code: typeof e.code === 'string' && e.code ? e.code : 'ERROR',
      message: typeof e.message === 'string' ? e.message : String(error),
    };
    if (typeof e.detail === 'string' && e.detail !== '') field.detail = e.detail;
    return field;
  }
  return { code: 'ERROR', message: String(error) };
}

function text(value: string | Uint8Array | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

/**
 * The one rendering of a tool's exit code: the number, or `-` when the process never
 * exited with one (it did not start, was denied, or the wire's -1 for "none").
 */
export function exitCodeText(code: number | null | undefined): string {
  return typeof code === 'number' && code >= 0 ? String(code) : '-';
}

/**
 * `grep completed in 1.234s (exit 0, container 0123456789ab)`, plus the error when there is one; exec adds
 * its signal (`exit 137 (SIGKILL)`) and each truncated stream with its dropped bytes.
 */
export function summaryLine(report: TaskReport): string {
  const signal = signalOf(report);
  const parts = [`exit ${exitCodeText(report.exitCode)}${signal === undefined ? '' : ` (${signal})`}`];
  if (report.containerId) parts.push(`container ${report.containerId.slice(0, 12)}`);
  const truncation = truncationText(report);
  if (truncation !== undefined) parts.push(truncation);
  let line = `${report.taskId === undefined ? '' : `task ${report.taskId}: `}${report.tool} ${report.status} in ${formatDuration(report.durationMs)} (${parts.join(', ')})`;
  if (report.error) line += `: ${errorText(report.error)}`;
  return line;
}

/** `TOOL_FAILED (EDIT_NO_MATCH): src/a.ts: old_string not found`: the code, its detail, the message. */
export function errorText(error: NonNullable<TaskReport['error']>): string {
  return `${error.code}${error.detail === undefined ? '' : ` (${error.detail})`}: ${error.message}`;
}

/**
 * Prints a finished task the way `run` and `exec` both do: the JSON object with
 * `json`, else any output not already streamed and the summary line on stderr.
 * Returns the exit code: 0 only for `completed`.
 */
export async function printTaskReport(
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  report: TaskReport,
  options: { json: boolean; streamed: boolean },
): Promise<number> {
  if (options.json) {
    await writeOut(io.stdout, JSON.stringify(report) + '\n');
  } else {
    if (!options.streamed) {
      if (report.stdout) await writeOut(io.stdout, report.stdout);
      if (report.stderr) io.stderr.write(report.stderr);
    }
    io.stderr.write(`${summaryLine(report)}\n`);
  }
  return report.status === 'completed' ? 0 : 1;
}
