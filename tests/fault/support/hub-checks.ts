/**
 * Checks on what the hub recorded: through the client (status, a replayed
 * watch) and, once the hub has stopped, straight from its SQLite store.
 */
import { SqliteTaskStore, createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import { TaskState, isTerminalTaskState, taskStateWord } from '@baaaht/proto';
import type { TaskEvent, TaskFinished } from '@baaaht/proto';
import { notCompletedLines } from '@baaaht/test-utils';

/** The results that are not COMPLETED, one `<taskId> <state> <code>: <message>` line each: `[]` when all completed. */
export function notCompleted(results: readonly TaskFinished[]): string[] {
  return notCompletedLines(results.map((f) => ({ taskId: f.taskId, status: taskStateWord(f.state), error: f.error })));
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
