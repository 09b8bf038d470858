import type { AgentCapabilities, AgentMetadata, TaskAssignment, TaskFinished, TaskState } from '@baaaht/proto';

/** One task as the hub keeps it. `finished` is set once, by the first terminal report. */
export interface TaskRecord {
  taskId: string;
  assignment: TaskAssignment;
  /** Worker labels that must all match. */
  selector: Record<string, string>;
  /** QUEUED, ASSIGNED, RUNNING, or a terminal state. */
  state: TaskState;
  /** The worker holding the task ('' while queued); once finished, the worker that finished it. */
  agentId: string;
  /** That worker's registered name, kept after the worker is gone ('' while queued). */
  agentName: string;
  /** Times the task was handed to a worker. */
  attempts: number;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  cancelRequested: boolean;
  finished?: TaskFinished;
}

export type TaskPatch = Partial<
  Pick<TaskRecord, 'state' | 'agentId' | 'agentName' | 'attempts' | 'startedAt' | 'cancelRequested'>
>;

/** Where a listing continues: after the task created at `createdAt` with id `taskId`, in newest-first order. */
export interface TaskCursor {
  createdAt: number;
  taskId: string;
}

/** Which tasks `listTasks` returns; every given filter must match. */
export interface TaskQuery {
  /** Only tasks in one of these states. @default every state */
  states?: readonly TaskState[];
  /** Only tasks of this tool. @default every tool */
  tool?: string;
  /** Only tasks whose `agentId` or `agentName` is this. @default every worker */
  worker?: string;
  /** Only tasks after this one in newest-first order (strictly older, or as old with a smaller id). */
  after?: TaskCursor;
  /** At most this many (a positive integer). */
  limit: number;
}

/** A worker session, persisted so a restarted hub lets workers resume with the same id. */
export interface AgentRecord {
  agentId: string;
  token: string;
  name: string;
  registeredAt: number;
  metadata: AgentMetadata;
  capabilities: AgentCapabilities;
}

/**
 * Where the hub keeps tasks, results and worker sessions.
 *
 * Synchronous on purpose: dispatch decisions and "record, then ack" must
 * happen without interleaving, and better-sqlite3 is synchronous anyway.
 * Every method returns only after the write is durable for a durable store.
 */
export interface TaskStore {
  /** Whether data survives a process restart. */
  readonly durable: boolean;
  /** Inserts a task; false (and no change) if the id exists. */
  createTask(record: TaskRecord): boolean;
  getTask(taskId: string): TaskRecord | undefined;
  updateTask(taskId: string, patch: TaskPatch): void;
  /** Records the terminal report; false (and no change) if the task already finished or is unknown. */
  finishTask(taskId: string, finished: TaskFinished, completedAt: number): boolean;
  /** Tasks without a result, oldest first. */
  unfinishedTasks(): TaskRecord[];
  /** Tasks matching `query`, newest first: by `createdAt` descending, then `taskId` descending. */
  listTasks(query: TaskQuery): TaskRecord[];
  saveAgent(record: AgentRecord): void;
  getAgent(agentId: string): AgentRecord | undefined;
  deleteAgent(agentId: string): void;
  listAgents(): AgentRecord[];
  close(): void;
}
