import { statusFromTaskState } from '@baaaht/proto';
import type { TaskFinished } from '@baaaht/proto';
import { toTaskReport } from './task-output';
import type { TaskReport } from './task-output';

/** The hub's terminal report as the same JSON object `worker run --json` prints. */
export function reportFromFinished(tool: string, finished: TaskFinished): TaskReport {
  let structured: unknown;
  if (finished.structuredJson) {
    try {
      structured = JSON.parse(finished.structuredJson) as unknown;
    } catch {
      structured = undefined;
    }
  }
  const status = statusFromTaskState(finished.state) ?? 'error';
  return toTaskReport(tool, {
    tool,
    status,
    exitCode: finished.exitCode,
    stdout: finished.stdout,
    stderr: finished.stderr,
    truncated: finished.truncated,
    durationMs: finished.durationMs,
    containerId: finished.containerId || null,
    structured,
    stdoutDroppedBytes: finished.stdoutDroppedBytes,
    stderrDroppedBytes: finished.stderrDroppedBytes,
    error:
      finished.error && (finished.error.code || finished.error.message)
        ? { code: finished.error.code, message: finished.error.message, detail: finished.error.detail }
        : undefined,
  });
}
