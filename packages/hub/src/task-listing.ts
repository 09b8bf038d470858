import { Agent, AgentState, AgentType, Status, Task } from '@baaaht/proto';
import type { TaskState } from '@baaaht/proto';
import { invalidField } from './errors';
import type { HubError } from './errors';
import type { HubCoreLimits } from './registration-limits';
import type { TaskCursor, TaskRecord, TaskStore } from './task-store';
import type { WorkerSession } from './worker-session';

/** One page of ListTasks. */
export interface TasksPage {
  /** Newest first, without output (see `listTasksPage`). */
  tasks: Task[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The filters of one ListTasks call; empty values match everything. */
export interface TaskListFilter {
  states?: readonly TaskState[];
  tool?: string;
  /** Agent id or registered name. */
  worker?: string;
}

/** One page of ListWorkers. */
export interface WorkersPage {
  workers: Agent[];
  /** Empty on the last page. */
  nextPageToken: string;
}

type PageLimits = Pick<
  HubCoreLimits,
  'maxListWorkersPageSize' | 'listWorkersPageBytes' | 'maxListTasksPageSize' | 'listTasksPageBytes'
>;

/** A request's page size: 0 means `cap`, larger values are capped, negative or fractional ones are refused. */
export function pageSizeOf(pageSize: number, cap: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 0) throw invalidField('page_size', `must be >= 0, got ${pageSize}`);
  return pageSize === 0 ? cap : Math.min(pageSize, cap);
}

/**
 * One page of workers in agent-id order. `pageSize` 0 means the cap; larger values are capped; a page
 * also stops before `listWorkersPageBytes` encoded bytes (always holding at least one worker).
 */
export function listWorkersPage(
  sessions: ReadonlyMap<string, WorkerSession>,
  pageSize: number,
  pageToken: string,
  limits: PageLimits,
): WorkersPage {
  const size = pageSizeOf(pageSize, limits.maxListWorkersPageSize);
  let after = '';
  if (pageToken !== '') {
    after = Buffer.from(pageToken, 'base64url').toString('utf8');
    if (after === '' || Buffer.from(after, 'utf8').toString('base64url') !== pageToken) {
      throw invalidField('page_token', 'is not a token this hub issued');
    }
  }
  const ids = [...sessions.keys()].filter((id) => id > after).sort();
  const workers: Agent[] = [];
  let bytes = 0;
  for (const id of ids) {
    if (workers.length >= size) break;
    const agent = toAgent(sessions.get(id) as WorkerSession);
    const encoded = Agent.encode(agent).finish().length + 8;
    if (workers.length > 0 && bytes + encoded > limits.listWorkersPageBytes) break;
    workers.push(agent);
    bytes += encoded;
  }
  const last = workers[workers.length - 1];
  const more = last !== undefined && ids.length > workers.length;
  return { workers, nextPageToken: more ? Buffer.from(last.id, 'utf8').toString('base64url') : '' };
}

/**
 * One page of tasks, newest first, matching `filter`. `pageSize` 0 means the cap; larger values are
 * capped; a page also stops before `listTasksPageBytes` encoded bytes (always holding at least one task).
 * Listed tasks carry no output and no parameters (`listedTask`); `getTask` has everything.
 */
export function listTasksPage(
  store: TaskStore,
  pageSize: number,
  pageToken: string,
  filter: TaskListFilter,
  limits: PageLimits,
): TasksPage {
  const size = pageSizeOf(pageSize, limits.maxListTasksPageSize);
  const after = pageToken === '' ? undefined : decodeTaskCursor(pageToken);
  const records = store.listTasks({
    ...(filter.states !== undefined ? { states: filter.states } : {}),
    ...(filter.tool ? { tool: filter.tool } : {}),
    ...(filter.worker ? { worker: filter.worker } : {}),
    ...(after !== undefined ? { after } : {}),
    limit: size + 1,
  });
  const tasks: Task[] = [];
  let bytes = 0;
  let last: TaskRecord | undefined;
  for (const record of records) {
    if (tasks.length >= size) break;
    const task = listedTask(record);
    const encoded = Task.encode(task).finish().length + 8;
    if (tasks.length > 0 && bytes + encoded > limits.listTasksPageBytes) break;
    tasks.push(task);
    bytes += encoded;
    last = record;
  }
  const more = last !== undefined && records.length > tasks.length;
  return { tasks, nextPageToken: more ? encodeTaskCursor(last as TaskRecord) : '' };
}

/** The wire view of a worker session. */
export function toAgent(session: WorkerSession): Agent {
  const { record } = session;
  const connected = session.connection.kind === 'streaming';
  return Agent.fromPartial({
    id: record.agentId,
    name: record.name,
    type: AgentType.AGENT_TYPE_WORKER,
    state: session.outstanding.size > 0 ? AgentState.AGENT_STATE_BUSY : AgentState.AGENT_STATE_IDLE,
    status: connected ? Status.STATUS_RUNNING : Status.STATUS_UNKNOWN,
    registeredAt: new Date(record.registeredAt),
    lastHeartbeat: new Date(session.lastSeen),
    metadata: record.metadata,
    capabilities: record.capabilities,
    resources: session.resources,
    activeTasks: [...session.outstanding],
    freeSlots: Math.max(0, session.maxSlots - session.outstanding.size),
    draining: session.availability === 'draining',
    connected,
  });
}

/** A page token is the last listed task's position: opaque to clients, checked when it comes back. */
function encodeTaskCursor(record: TaskRecord): string {
  return Buffer.from(JSON.stringify([record.createdAt, record.taskId]), 'utf8').toString('base64url');
}

function decodeTaskCursor(token: string): TaskCursor {
  const bad = (): HubError => invalidField('page_token', 'is not a token this hub issued');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [createdAt, taskId] = parsed as unknown[];
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt) || typeof taskId !== 'string') throw bad();
  return { createdAt, taskId };
}

/** The listing view of a task: what, where and how it went, without output or parameters to keep pages small. */
export function listedTask(record: TaskRecord): Task {
  const task = toTask(record);
  task.result = undefined;
  if (task.assignment) task.assignment = { ...task.assignment, params: undefined, args: [] };
  if (task.finished) {
    task.finished = { ...task.finished, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), structuredJson: '' };
  }
  return task;
}

/** The wire view of a stored task. */
export function toTask(record: TaskRecord): Task {
  const a = record.assignment;
  return Task.fromPartial({
    id: record.taskId,
    name: a.tool,
    sessionId: a.sessionId,
    state: record.state,
    createdAt: new Date(record.createdAt),
    startedAt: record.startedAt === undefined ? undefined : new Date(record.startedAt),
    completedAt: record.completedAt === undefined ? undefined : new Date(record.completedAt),
    agentId: record.agentId,
    agentName: record.agentName,
    assignment: a,
    finished: record.finished,
    error: record.finished?.error,
    attempts: record.attempts,
    result: record.finished
      ? {
          exitCode: record.finished.exitCode,
          outputText: Buffer.from(record.finished.stdout).toString('utf8'),
          errorText: Buffer.from(record.finished.stderr).toString('utf8'),
          executionDurationNs: record.finished.durationMs * 1_000_000,
        }
      : undefined,
  });
}
