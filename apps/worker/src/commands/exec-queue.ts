/**
 * What `orchestrator exec` does while its task waits in the queue: say at once when no connected worker
 * offers the tool, and give up after `--queue-timeout`, cancelling the task so nothing is left queued.
 * `--timeout` is the run time on the worker; the queue has its own limit.
 */
import type { HubClient } from '@baaaht/hub';
import type { ParsedCommand } from '../args';
import { stringValue } from '../args';
import { formatDuration, parseDuration } from '../durations';
import { WorkerCliError, usageError } from '../errors';

/** How long a task may wait for a worker unless `--queue-timeout` says otherwise. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 60_000;

/** The exec flags this file gives meaning to. */
export const EXEC_QUEUE_FLAGS = {
  'queue-timeout': {
    type: 'string',
    valueName: 'DURATION',
    description: `how long the task may wait for a worker before it is cancelled (default ${formatDuration(DEFAULT_QUEUE_TIMEOUT_MS)}; 0: forever)`,
  },
  detach: {
    type: 'boolean',
    description: 'submit, print the task id and exit 0 without waiting (with --json: {"taskId": ...})',
  },
} as const;

/** `--queue-timeout` in ms; 0 means wait forever. */
export function queueTimeoutMs(parsed: ParsedCommand): number {
  const text = stringValue(parsed.values, 'queue-timeout');
  if (text === undefined) return DEFAULT_QUEUE_TIMEOUT_MS;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw usageError(
      `invalid duration ${JSON.stringify(text)} (expected e.g. 60s, 5m; 0 waits forever)`,
      '--queue-timeout',
    );
  }
  return ms;
}

/**
 * Whether some connected, non-draining worker advertises `tool` (a worker advertising no tools takes any,
 * as the hub's dispatch does). Label selectors are not considered: `exec` submits without one.
 */
export async function someWorkerOffers(client: HubClient, tool: string): Promise<boolean> {
  const workers = await client.workers();
  return workers.some((w) => {
    const tools = w.capabilities?.supportedTools ?? [];
    return w.connected && !w.draining && (tools.length === 0 || tools.includes(tool));
  });
}

/** The warning printed at once when the task would wait for a worker that is not there. */
export function noWorkerWarning(tool: string, timeoutMs: number): string {
  const until = timeoutMs === 0 ? 'until one connects' : `up to ${formatDuration(timeoutMs)} (--queue-timeout)`;
  return `no connected worker offers ${tool}; waiting ${until}...`;
}

export function queueTimeoutError(taskId: string, tool: string, timeoutMs: number): WorkerCliError {
  return new WorkerCliError(
    'QUEUE_TIMEOUT',
    `task ${taskId}: no worker took ${tool} within ${formatDuration(timeoutMs)} (--queue-timeout); ` +
      'it was cancelled on the orchestrator',
    { taskId, tool },
  );
}

/**
 * A restartable one-shot timer for the time the task spends queued: `start()` on submit and on each
 * re-queue, `stop()` once a worker has it. Cleared on every path by `stop()`.
 */
export function queueTimer(timeoutMs: number, onExpire: () => void): { start(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    start() {
      stop();
      if (timeoutMs > 0) timer = setTimeout(onExpire, timeoutMs);
    },
    stop,
  };
}
