/**
 * `orchestrator tasks`, `orchestrator status <id>` and `orchestrator cancel <id>`: the tasks a hub keeps,
 * in words (the one status vocabulary) and with the worker's name rather than its agent id.
 */
import type { HubClient } from '@baaaht/hub';
import { TaskState, taskStateWord } from '@baaaht/proto';
import type { Task } from '@baaaht/proto';
import type { CommandSpec, ParsedCommand } from '../args';
import { listValue, stringValue } from '../args';
import type { CliIo } from '../cli-io';
import { writeListing, writeOut } from '../cli-io';
import { formatDuration, parseDuration } from '../durations';
import { WorkerCliError, configError, usageError } from '../errors';
import { reportFromFinished } from '../hub-results';
import { summaryLine, toErrorField } from '../task-output';
import type { TaskReport } from '../task-output';
import { formatTable, roughDuration } from '../table';
import { ADDR_FLAG, CLIENT_TLS_FLAGS, JSON_FLAG, TOKEN_FLAG } from './orchestrator-flags';

/** `orchestrator tasks` lists this many unless `--limit` says otherwise. */
export const DEFAULT_TASK_LIMIT = 50;
/** `orchestrator cancel` waits this long for a running task's final report unless `--wait` says otherwise. */
export const DEFAULT_CANCEL_WAIT_MS = 30_000;

/** Every word a state has (`queued`, `running`, `completed`, ...) and the state it names. */
const STATE_BY_WORD: ReadonlyMap<string, TaskState> = new Map(
  Object.values(TaskState)
    .filter((v): v is TaskState => typeof v === 'number' && v > TaskState.TASK_STATE_UNSPECIFIED)
    .map((v) => [taskStateWord(v), v]),
);

export const tasksCommand: CommandSpec = {
  brief: 'list tasks (filters: --state, --tool, --worker)',
  name: 'orchestrator tasks',
  usage: `orchestrator tasks [--state S]... [--tool T] [--worker NAME] [--limit ${DEFAULT_TASK_LIMIT}] [--json] [--addr ADDR]`,
  summary:
    'Lists tasks, newest first: id, tool, state, worker, attempts, age, duration. A table on a terminal; ' +
    'tab-separated with a header line otherwise.',
  flags: {
    state: {
      type: 'string',
      multiple: true,
      valueName: 'STATE',
      description: `only tasks in this state (${[...STATE_BY_WORD.keys()].join(', ')}; comma-separated or repeated)`,
    },
    tool: { type: 'string', valueName: 'TOOL', description: 'only tasks of this tool' },
    worker: { type: 'string', valueName: 'NAME', description: 'only tasks of this worker (its name or agent id)' },
    limit: {
      type: 'string',
      valueName: 'N',
      description: `at most N tasks, the newest (default ${DEFAULT_TASK_LIMIT})`,
    },
    json: JSON_FLAG,
    addr: ADDR_FLAG,
    'auth-token': TOKEN_FLAG,
    ...CLIENT_TLS_FLAGS,
  },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

export const statusCommand: CommandSpec = {
  brief: 'show one task',
  name: 'orchestrator status',
  usage: 'orchestrator status <taskId> [--json] [--addr ADDR]',
  summary:
    'Shows one task in words: state, tool, worker name, attempts, timings, and its result or error. ' +
    'An unknown id exits 2.',
  flags: { json: JSON_FLAG, addr: ADDR_FLAG, 'auth-token': TOKEN_FLAG, ...CLIENT_TLS_FLAGS },
  configFlags: false,
  minPositionals: 1,
  maxPositionals: 1,
};

export const cancelCommand: CommandSpec = {
  brief: 'cancel a queued or running task',
  name: 'orchestrator cancel',
  usage: 'orchestrator cancel <taskId> [--force] [--wait 30s] [--json] [--addr ADDR]',
  summary:
    'Cancels a task: a queued one at once; a running one on its worker (SIGTERM, then SIGKILL after the grace ' +
    'period; --force kills at once), waiting for the worker to report it.',
  flags: {
    force: { type: 'boolean', description: 'kill the container at once instead of a graceful stop' },
    wait: {
      type: 'string',
      valueName: 'DURATION',
      description: `how long to wait for a running task to end (default ${formatDuration(DEFAULT_CANCEL_WAIT_MS)}; 0: do not wait)`,
    },
    json: JSON_FLAG,
    addr: ADDR_FLAG,
    'auth-token': TOKEN_FLAG,
    ...CLIENT_TLS_FLAGS,
  },
  configFlags: false,
  minPositionals: 1,
  maxPositionals: 1,
  epilog:
    'Exit status: 0 when the task was cancelled (or, with --wait 0, the cancel was sent to its worker); ' +
    '1 when it had already finished, finished otherwise, or was still running when --wait ran out; ' +
    '2 for an unknown id or a usage error.',
};

/** One task as `tasks --json` and `status --json` print it. */
export interface TaskView {
  taskId: string;
  tool: string;
  /** The one status vocabulary: `queued`, `assigned`, `running`, then the result's status. */
  state: string;
  /** The worker's registered name (its agent id when the hub recorded no name); null while queued. */
  worker: string | null;
  agentId: string | null;
  attempts: number;
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** Since the task was submitted. */
  ageMs: number | null;
  /** The run time: the worker's measure once finished, else so far; null before it started. */
  durationMs: number | null;
  error: TaskReport['error'];
}

/** The words a `--state` may take, parsed to states; a word that names none is a usage error. */
export function parseStates(values: readonly string[]): TaskState[] {
  const states: TaskState[] = [];
  for (const word of values.flatMap((v) => v.split(',')).map((w) => w.trim().toLowerCase())) {
    if (word === '') continue;
    const state = STATE_BY_WORD.get(word);
    if (state === undefined) {
      throw usageError(
        `unknown state ${JSON.stringify(word)} (one of ${[...STATE_BY_WORD.keys()].join(', ')})`,
        '--state',
      );
    }
    if (!states.includes(state)) states.push(state);
  }
  return states;
}

function positiveInt(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw configError(flag, `expected a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

const iso = (d: Date | undefined): string | null => (d === undefined ? null : d.toISOString());

export function taskView(task: Task, now: number): TaskView {
  const started = task.startedAt?.getTime();
  const finished = task.finished;
  let durationMs: number | null = null;
  if (finished !== undefined && finished.durationMs > 0) durationMs = finished.durationMs;
  else if (started !== undefined) durationMs = Math.max(0, (task.completedAt?.getTime() ?? now) - started);
  const error = finished?.error ?? task.error;
  return {
    taskId: task.id,
    tool: task.assignment?.tool || task.name,
    state: taskStateWord(task.state),
    worker: task.agentName || task.agentId || null,
    agentId: task.agentId || null,
    attempts: task.attempts,
    createdAt: iso(task.createdAt),
    startedAt: iso(task.startedAt),
    completedAt: iso(task.completedAt),
    ageMs: task.createdAt === undefined ? null : Math.max(0, now - task.createdAt.getTime()),
    durationMs,
    error: error && (error.code || error.message) ? toErrorField(error) : null,
  };
}

const TASK_HEADER = ['ID', 'TOOL', 'STATE', 'WORKER', 'ATTEMPTS', 'AGE', 'DURATION'] as const;

/** The rows of `orchestrator tasks` (aligned for a terminal, tab-separated otherwise). */
export function formatTaskTable(views: readonly TaskView[], aligned: boolean): string {
  const rows = views.map((v) => [
    v.taskId,
    v.tool,
    v.state,
    v.worker ?? '',
    String(v.attempts),
    v.ageMs === null ? '' : roughDuration(v.ageMs),
    v.durationMs === null ? '' : roughDuration(v.durationMs),
  ]);
  return formatTable(TASK_HEADER, rows, { aligned });
}

export async function runTasksCommand(
  client: HubClient,
  parsed: ParsedCommand,
  io: CliIo,
  now = Date.now,
): Promise<number> {
  const states = parseStates(listValue(parsed.values, 'state'));
  const limit = positiveInt(stringValue(parsed.values, 'limit'), DEFAULT_TASK_LIMIT, '--limit');
  const tool = stringValue(parsed.values, 'tool');
  const worker = stringValue(parsed.values, 'worker');
  // One more than asked tells whether there are more, without a count the hub does not keep.
  const tasks = await client.tasks({
    states,
    ...(tool !== undefined ? { tool } : {}),
    ...(worker !== undefined ? { worker } : {}),
    limit: limit + 1,
  });
  const more = tasks.length > limit;
  const at = now();
  const views = tasks.slice(0, limit).map((t) => taskView(t, at));
  await writeListing(io, views, parsed.values['json'] === true, 'no tasks', formatTaskTable);
  if (more && parsed.values['json'] !== true && views.length > 0)
    io.stderr.write(`orchestrator: showing the newest ${limit} tasks; --limit shows more\n`);
  return 0;
}

/** `status` in words: one heading line, then one `key: value` line per known fact. */
export function formatTaskStatus(view: TaskView, result: TaskReport | null): string {
  const when = (label: string, at: string | null, ago?: number | null): string[] =>
    at === null ? [] : [`  ${label.padEnd(9)} ${at}${ago == null ? '' : ` (${roughDuration(ago)} ago)`}`];
  const lines = [`task ${view.taskId}: ${view.state}`, `  tool      ${view.tool}`];
  if (view.worker !== null) {
    const agent = view.agentId !== null && view.agentId !== view.worker ? ` (agent ${view.agentId})` : '';
    lines.push(`  worker    ${view.worker}${agent}`);
  } else {
    lines.push('  worker    - (not assigned)');
  }
  lines.push(`  attempts  ${view.attempts}`);
  lines.push(...when('created', view.createdAt, view.ageMs));
  lines.push(...when('started', view.startedAt));
  lines.push(...when('finished', view.completedAt));
  if (view.durationMs !== null) lines.push(`  duration  ${formatDuration(view.durationMs)}`);
  if (view.error !== null) {
    const { code, detail, message } = view.error;
    lines.push(`  error     ${code}${detail === undefined ? '' : ` (${detail})`}: ${message}`);
  }
  if (result !== null) lines.push(`  result    ${summaryLine(result)}`);
  return lines.join('\n') + '\n';
}

export async function runStatusCommand(
  client: HubClient,
  parsed: ParsedCommand,
  io: CliIo,
  now = Date.now,
): Promise<number> {
  const taskId = parsed.positionals[0] as string;
  const task = await client.status(taskId);
  const view = taskView(task, now());
  const result = task.finished ? reportFromFinished(view.tool, task.finished) : null;
  if (parsed.values['json'] === true) {
    await writeOut(io.stdout, JSON.stringify({ ...view, result }, null, 2) + '\n');
    return 0;
  }
  await writeOut(io.stdout, formatTaskStatus(view, result));
  return 0;
}

/** What `cancel` found: the JSON `outcome` and the exit code follow from it. */
type CancelOutcomeWord = 'cancelled' | 'requested' | 'already-finished' | 'finished-otherwise' | 'still-running';

async function waitFor<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runCancelCommand(client: HubClient, parsed: ParsedCommand, io: CliIo): Promise<number> {
  const taskId = parsed.positionals[0] as string;
  const json = parsed.values['json'] === true;
  const waitText = stringValue(parsed.values, 'wait');
  const waitMs = waitText === undefined ? DEFAULT_CANCEL_WAIT_MS : parseDuration(waitText);
  if (waitMs === undefined)
    throw configError('--wait', `invalid duration ${JSON.stringify(waitText)} (expected e.g. 30s)`);
  const force = parsed.values['force'] === true;
  const answer = await client.cancel(taskId, { force, reason: 'cancelled with orchestrator cancel' });
  const report = async (outcome: CancelOutcomeWord, task: Task | undefined, message: string): Promise<number> => {
    const ok = outcome === 'cancelled' || outcome === 'requested';
    const state = taskStateWord(task?.state ?? answer.state);
    if (json) {
      const worker = task === undefined ? null : task.agentName || task.agentId || null;
      const stopMode = task?.finished?.stopMode || null;
      await writeOut(io.stdout, JSON.stringify({ taskId, outcome, state, worker, stopMode, message }) + '\n');
    } else if (ok) {
      await writeOut(io.stdout, `${message}\n`);
    } else {
      io.stderr.write(`orchestrator: ${message}\n`);
    }
    return ok ? 0 : 1;
  };
  if (!answer.cancelled) {
    return report(
      'already-finished',
      undefined,
      `task ${taskId} already finished (${taskStateWord(answer.state)}): nothing to cancel`,
    );
  }
  if (answer.state === TaskState.TASK_STATE_CANCELLED) {
    return report('cancelled', await client.status(taskId), `task ${taskId} cancelled (it was still queued)`);
  }
  const held = await client.status(taskId);
  const on = held.agentName || held.agentId || 'its worker';
  if (waitMs === 0) return report('requested', held, `task ${taskId}: cancel sent to ${on}`);
  const finished = client.wait(taskId);
  // Closing the client at the end ends the watch; that rejection is not news.
  finished.catch(() => undefined);
  const ended = await waitFor(finished, waitMs);
  if (ended === 'timeout') {
    return report(
      'still-running',
      await client.status(taskId),
      `task ${taskId}: cancel sent, but it is still running on ${on} after ${formatDuration(waitMs)} ` +
        `(a disconnected worker gets the cancel when it reconnects; see orchestrator status ${taskId})`,
    );
  }
  const task = await client.status(taskId);
  if (ended.state === TaskState.TASK_STATE_CANCELLED) {
    const how = ended.stopMode === 'force' ? ', killed' : ended.stopMode === 'graceful' ? ', stopped gracefully' : '';
    return report('cancelled', task, `task ${taskId} cancelled on ${on}${how}`);
  }
  return report(
    'finished-otherwise',
    task,
    `task ${taskId} finished ${taskStateWord(ended.state)} on ${on} before the cancel took effect`,
  );
}

/** The error for an id the hub does not know; exit 2, as for any argument the operator got wrong. */
export function taskNotFound(taskId: string | undefined, cause: unknown): WorkerCliError {
  const id = taskId === undefined ? 'that id' : JSON.stringify(taskId);
  return new WorkerCliError('TASK_NOT_FOUND', `no task ${id} on this orchestrator (orchestrator tasks lists them)`, {
    cause,
    ...(taskId !== undefined ? { taskId } : {}),
  });
}
