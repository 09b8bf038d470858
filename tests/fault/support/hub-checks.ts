/**
 * Checks on what the hub recorded: through the client (status, a replayed
 * watch) and, once the hub has stopped, straight from its SQLite store.
 */
import { SqliteTaskStore, createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import { TaskState, isTerminalTaskState, taskStateWord } from '@baaaht/proto';
import type { TaskEvent, TaskFinished } from '@baaaht/proto';

/** A task result as the executor (`status`) or the hub (`state`) reports it. */
export interface ResultLike {
  taskId: string;
  status?: string;
  state?: TaskState;
  error?: { code: string; message: string } | undefined;
}

/**
 * One line per result, `<taskId> <status> <code>: <message>`, so an assertion over a set of results
 * says what went wrong with each bad one (`expect(resultLines(bad)).toEqual([])`).
 */
export function resultLines(results: readonly ResultLike[]): string[] {
  return results.map((r) => {
    const status = r.status ?? (r.state === undefined ? 'unknown' : taskStateWord(r.state));
    return `${r.taskId} ${status}${r.error ? ` ${r.error.code}: ${r.error.message}` : ''}`;
  });
}

/** The results that are not COMPLETED, as `resultLines`: `[]` when all completed. */
export function notCompleted(results: readonly TaskFinished[]): string[] {
  return resultLines(results.filter((f) => f.state !== TaskState.TASK_STATE_COMPLETED));
}

/** Every event of one replayed watch, until the stream's first `finished` (or `limitMs`). */
export async function watchAll(client: HubClient, taskId: string, limitMs = 60_000): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  const deadline = Date.now() + limitMs;
  for await (const e of client.watch(taskId)) {
    events.push(e);
    if (Date.now() > deadline) break;
  }
  return events;
}

/** Waits for a task's result with a bound, re-dialling through transient UNAVAILABLE errors. */
export async function waitResult(addr: string, taskId: string, limitMs = 120_000): Promise<TaskFinished> {
  const deadline = Date.now() + limitMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = createHubClient(addr, { rpcTimeoutMs: 5_000 });
    try {
      const t = await client.status(taskId);
      if (t.finished && isTerminalTaskState(t.finished.state)) return t.finished;
    } catch (err) {
      lastError = err;
    } finally {
      client.close();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no result for ${taskId} within ${limitMs} ms (last error: ${String(lastError)})`);
}

export interface StoreSummary {
  /** Tasks in the store with their recorded terminal state, or undefined while unfinished. */
  states: Map<string, TaskState | undefined>;
  unfinished: string[];
  attempts: Map<string, number>;
}

/** Opens a stopped hub's SQLite store and summarises the given tasks. */
export function readStore(dataDir: string, taskIds: readonly string[]): StoreSummary {
  const store = new SqliteTaskStore({ dataDir });
  try {
    const states = new Map<string, TaskState | undefined>();
    const attempts = new Map<string, number>();
    for (const id of taskIds) {
      const r = store.getTask(id);
      states.set(id, r?.finished?.state);
      if (r) attempts.set(id, r.attempts);
    }
    return { states, attempts, unfinished: store.unfinishedTasks().map((t) => t.taskId) };
  } finally {
    store.close();
  }
}

export { TaskState };
