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
  /** Times the task was handed to a worker. */
  attempts: number;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  cancelRequested: boolean;
  finished?: TaskFinished;
}

export type TaskPatch = Partial<Pick<TaskRecord, 'state' | 'agentId' | 'attempts' | 'startedAt' | 'cancelRequested'>>;

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
  saveAgent(record: AgentRecord): void;
  getAgent(agentId: string): AgentRecord | undefined;
  deleteAgent(agentId: string): void;
  listAgents(): AgentRecord[];
  close(): void;
}
