/**
 * The worker's counters and gauges, fed by the task handler and the agent's
 * state events, read by the status server (`/metrics` through worker-instruments.ts, `/status.json`).
 */
import type { LiveTaskInfo, SessionInfo } from '@baaaht/executor';

/** Connection states as the seed names them. */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'transient_failure' | 'shutdown';

export const CONNECTION_STATES: readonly ConnectionState[] = [
  'idle',
  'connecting',
  'ready',
  'transient_failure',
  'shutdown',
];

/** One task running on the worker now, as `/status.json` lists it. */
export interface RunningTaskSnapshot {
  taskId: string;
  tool: string;
  /** `queued` (waiting for a slot), `starting`, `running` or `stopping`. */
  state: string;
  /** When the worker took it (ISO 8601). */
  since: string;
  /** The container running it (full id), or null before the container exists. */
  containerId: string | null;
  /** Its `org.baaaht.session-id`. */
  sessionId: string | null;
}

/** The executor's live tasks as `/status.json` lists them. */
export function runningTaskSnapshots(live: readonly LiveTaskInfo[]): RunningTaskSnapshot[] {
  return live.map((t) => ({
    taskId: t.taskId,
    tool: t.tool,
    state: t.state,
    since: new Date(t.startedAt).toISOString(),
    containerId: t.containerId,
    sessionId: t.sessionId,
  }));
}

/** One executor session, as `/status.json` lists it. */
export interface SessionSnapshot {
  sessionId: string;
  /** `starting`, `ready`, `busy`, `closing` or `broken` (see the executor's `SessionState`). */
  state: string;
  workspace: string | null;
  image: string;
  /** ISO 8601. */
  createdAt: string;
  lastUsedAt: string;
  calls: number;
  restarts: number;
  containerId: string | null;
}

/** The executor's sessions as `/status.json` lists them. */
export function sessionSnapshots(sessions: readonly SessionInfo[]): SessionSnapshot[] {
  return sessions.map((s) => ({
    sessionId: s.sessionId,
    state: s.state,
    workspace: s.workspace,
    image: s.image,
    createdAt: new Date(s.createdAt).toISOString(),
    lastUsedAt: new Date(s.lastUsedAt).toISOString(),
    calls: s.calls,
    restarts: s.restarts,
    containerId: s.containerId,
  }));
}

/** Everything the status endpoints report, as one plain object. */
export interface WorkerStatusSnapshot {
  name: string;
  version: string;
  workerId: string | undefined;
  connection: ConnectionState;
  registered: boolean;
  draining: boolean;
  startedAt: string;
  uptimeMs: number;
  reconnects: number;
  runningTasks: number;
  /** The tasks live now, oldest first (`runningTasks` counts what the task handler started). */
  tasks: RunningTaskSnapshot[];
  /** The executor's sessions (empty unless `--sessions`), oldest first. */
  sessions: SessionSnapshot[];
  tasksByStatus: Record<string, number>;
  tasksByTool: Record<string, number>;
  egress: { allowed: number; denied: number } | undefined;
}

export interface WorkerMetricsOptions {
  name: string;
  version: string;
  /** @default Date.now */
  now?: () => number;
  /** The executor's live tasks (`executor.liveTasks()`), read per snapshot. @default none */
  liveTasks?: () => readonly LiveTaskInfo[];
  /** The executor's sessions (`executor.listSessions()`), read per snapshot. @default none */
  sessions?: () => readonly SessionInfo[];
}

export class WorkerMetrics {
  private readonly startedAtMs: number;
  private readonly now: () => number;
  private connection: ConnectionState = 'idle';
  private registered = false;
  private draining = false;
  private workerId: string | undefined;
  private reconnects = 0;
  private running = 0;
  private readonly byStatus = new Map<string, number>();
  private readonly byTool = new Map<string, number>();
  private egress: { allowed: number; denied: number } | undefined;

  constructor(private readonly options: WorkerMetricsOptions) {
    this.now = options.now ?? Date.now;
    this.startedAtMs = this.now();
  }

  setConnection(state: ConnectionState): void {
    // Counting here rather than trusting the agent keeps the number honest across agent versions.
    if (state === 'connecting' && (this.connection === 'transient_failure' || this.connection === 'ready'))
      this.reconnects++;
    this.connection = state;
    if (state !== 'ready') this.registered = false;
  }

  setRegistered(workerId: string | undefined): void {
    this.registered = true;
    this.workerId = workerId ?? this.workerId;
  }

  setDraining(draining: boolean): void {
    this.draining = draining;
  }

  /** When the agent counts reconnects itself, its number wins. */
  setReconnects(count: number): void {
    this.reconnects = count;
  }

  taskStarted(tool: string): void {
    this.running++;
    this.byTool.set(tool, (this.byTool.get(tool) ?? 0) + 1);
  }

  taskFinished(status: string): void {
    this.running = Math.max(0, this.running - 1);
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  setEgress(counts: { allowed: number; denied: number } | undefined): void {
    this.egress = counts;
  }

  get ready(): boolean {
    return this.connection === 'ready' && this.registered && !this.draining;
  }

  snapshot(): WorkerStatusSnapshot {
    return {
      name: this.options.name,
      version: this.options.version,
      workerId: this.workerId,
      connection: this.connection,
      registered: this.registered,
      draining: this.draining,
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeMs: this.now() - this.startedAtMs,
      reconnects: this.reconnects,
      runningTasks: this.running,
      tasks: runningTaskSnapshots(this.options.liveTasks?.() ?? []),
      sessions: sessionSnapshots(this.options.sessions?.() ?? []),
      tasksByStatus: Object.fromEntries(this.byStatus),
      tasksByTool: Object.fromEntries(this.byTool),
      egress: this.egress ? { ...this.egress } : undefined,
    };
  }
}
