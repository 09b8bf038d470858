import type { TaskCursor, TaskQuery, TaskRecord } from './task-store';

/** Newest-first order of `listTasks`: `createdAt` descending, then `taskId` descending. Negative: `a` comes first. */
export function newestFirst(a: TaskCursor, b: TaskCursor): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.taskId < b.taskId ? 1 : a.taskId > b.taskId ? -1 : 0;
}

/** Whether a task passes every filter of `query` (its `limit` aside), the way each store must decide it. */
export function matchesTaskQuery(record: TaskRecord, query: TaskQuery): boolean {
  if (query.states !== undefined && query.states.length > 0 && !query.states.includes(record.state)) return false;
  if (query.tool !== undefined && query.tool !== '' && record.assignment.tool !== query.tool) return false;
  if (query.worker !== undefined && query.worker !== '') {
    if (record.agentId !== query.worker && record.agentName !== query.worker) return false;
  }
  if (query.after !== undefined && newestFirst(query.after, record) >= 0) return false;
  return true;
}

/** A `limit` that is not a positive integer is a caller bug: fail loudly instead of listing everything. */
export function checkTaskQuery(query: TaskQuery): void {
  if (!Number.isInteger(query.limit) || query.limit <= 0) {
    throw new TypeError(`TaskQuery.limit must be a positive integer, got ${query.limit}`);
  }
}
