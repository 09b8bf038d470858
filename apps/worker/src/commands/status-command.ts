/**
 * `worker status`: asks a running worker's status server (`--status-addr`) what it is doing: its
 * connection, its counts and the tasks running on it now (id, tool, since, container, session).
 */
import type { CommandSpec, ParsedCommand } from '../args';
import { stringValue } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import { WorkerCliError, usageError } from '../errors';
import { parseHostPort } from '../http-endpoints';
import { formatTable, roughDuration } from '../table';
import type { RunningTaskSnapshot, WorkerStatusSnapshot } from '../worker-metrics';

/** How long `worker status` waits for the status server. */
export const STATUS_REQUEST_TIMEOUT_MS = 5_000;

export const statusCommand: CommandSpec = {
  brief: 'ask a running worker (its --status-addr) what it is running',
  name: 'worker status',
  usage: 'worker status [--addr HOST:PORT] [--json]',
  summary:
    "Asks a running worker's status server (its --status-addr) for its state and the tasks running on it: " +
    'id, tool, state, since, container, session. A table on a terminal; tab-separated otherwise.',
  flags: {
    addr: {
      type: 'string',
      valueName: 'HOST:PORT',
      description: "the worker's --status-addr (default $WORKER_STATUS_ADDR)",
    },
    json: { type: 'boolean', description: 'print /status.json as it is' },
  },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

/** The URL of `/status.json` at a `--status-addr`; a wildcard bind is asked on loopback. */
export function statusUrl(address: string, source: string): string {
  const { host, port } = parseHostPort(address, source);
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}/status.json`;
}

const TASK_HEADER = ['TASK', 'TOOL', 'STATE', 'SINCE', 'CONTAINER', 'SESSION'] as const;

/** The running tasks as `worker status` prints them; `since` as time elapsed at `now`. */
export function formatRunningTasks(tasks: readonly RunningTaskSnapshot[], aligned: boolean, now: number): string {
  const rows = tasks.map((t) => [
    t.taskId,
    t.tool,
    t.state,
    `${roughDuration(now - Date.parse(t.since))} ago`,
    t.containerId?.slice(0, 12) ?? '',
    t.sessionId ?? '',
  ]);
  return formatTable(TASK_HEADER, rows, { aligned });
}

/** The heading lines of `worker status`. */
export function formatWorkerHeading(s: WorkerStatusSnapshot & { ready?: boolean }): string {
  const state = s.draining ? 'draining' : s.ready === true ? 'ready' : 'not ready';
  const counts = Object.entries(s.tasksByStatus)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`);
  return [
    `worker ${s.name}${s.workerId ? ` (agent ${s.workerId})` : ''}: ${state}`,
    `  connection ${s.connection}${s.registered ? ', registered' : ''}, up ${roughDuration(s.uptimeMs)}, reconnects ${s.reconnects}`,
    `  tasks running ${s.tasks.length}${counts.length > 0 ? `; finished: ${counts.join(', ')}` : ''}`,
  ].join('\n');
}

export async function runStatusCommand(parsed: ParsedCommand, io: CliIo, now = Date.now): Promise<number> {
  const flag = stringValue(parsed.values, 'addr');
  const address = flag ?? (io.env['WORKER_STATUS_ADDR'] || undefined);
  if (address === undefined) {
    throw usageError("give the worker's status address: --addr HOST:PORT (the worker's --status-addr)");
  }
  const url = statusUrl(address, flag !== undefined ? '--addr' : 'WORKER_STATUS_ADDR');
  let body: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(STATUS_REQUEST_TIMEOUT_MS) });
    body = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${body.trim().slice(0, 200)}`);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new WorkerCliError(
      'WORKER_UNAVAILABLE',
      `no worker status at ${url}: ${cause ?? (err as Error).message} ` +
        `(is the worker running with --status-addr ${address}?)`,
      { cause: err },
    );
  }
  let snapshot: WorkerStatusSnapshot & { ready?: boolean };
  try {
    snapshot = JSON.parse(body) as WorkerStatusSnapshot & { ready?: boolean };
    if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.tasks))
      throw new Error('no tasks');
  } catch (err) {
    throw new WorkerCliError(
      'WORKER_UNAVAILABLE',
      `${url} did not answer with a worker status (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  if (parsed.values['json'] === true) {
    await writeOut(io.stdout, JSON.stringify(snapshot, null, 2) + '\n');
    return 0;
  }
  const tasks =
    snapshot.tasks.length === 0
      ? 'no running tasks\n'
      : formatRunningTasks(snapshot.tasks, io.stdout.isTTY === true, now());
  await writeOut(io.stdout, `${formatWorkerHeading(snapshot)}\n${tasks}`);
  return 0;
}
