/**
 * The worker's counters and gauges, fed by the task handler and the agent's
 * state events, read by the status server (`/metrics`, `/status.json`).
 */
import { TASK_STATUSES } from '@baaaht/executor';
import type { LiveTaskInfo } from '@baaaht/executor';

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
      tasksByStatus: Object.fromEntries(this.byStatus),
      tasksByTool: Object.fromEntries(this.byTool),
      egress: this.egress ? { ...this.egress } : undefined,
    };
  }
}

/** Prometheus text exposition (format 0.0.4) of a snapshot. */
export function renderPrometheus(s: WorkerStatusSnapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  metric('baaaht_worker_info', 'gauge', 'Worker identity.', [
    [`{name=${label(s.name)},version=${label(s.version)}}`, 1],
  ]);
  const statuses = [...new Set([...TASK_STATUSES, ...Object.keys(s.tasksByStatus)])];
  metric(
    'baaaht_worker_tasks_total',
    'counter',
    'Tasks finished, by final status.',
    statuses.map((st) => [`{status=${label(st)}}`, s.tasksByStatus[st] ?? 0]),
  );
  metric(
    'baaaht_worker_tasks_started_total',
    'counter',
    'Tasks started, by tool.',
    Object.entries(s.tasksByTool).map(([tool, n]) => [`{tool=${label(tool)}}`, n]),
  );
  metric('baaaht_worker_running_tasks', 'gauge', 'Tasks running now.', [['', s.runningTasks]]);
  metric(
    'baaaht_worker_connection_state',
    'gauge',
    'Connection to the orchestrator: 1 for the current state.',
    CONNECTION_STATES.map((st) => [`{state=${label(st)}}`, st === s.connection ? 1 : 0]),
  );
  metric('baaaht_worker_registered', 'gauge', '1 when registered with the orchestrator.', [['', s.registered ? 1 : 0]]);
  metric('baaaht_worker_draining', 'gauge', '1 while draining for shutdown.', [['', s.draining ? 1 : 0]]);
  metric('baaaht_worker_reconnects_total', 'counter', 'Reconnections to the orchestrator.', [['', s.reconnects]]);
  if (s.egress) {
    metric('baaaht_worker_egress_decisions_total', 'counter', 'Egress proxy decisions.', [
      ['{decision="allowed"}', s.egress.allowed],
      ['{decision="denied"}', s.egress.denied],
    ]);
  }
  metric('baaaht_worker_uptime_seconds', 'gauge', 'Seconds since the worker started.', [
    ['', Math.floor(s.uptimeMs / 1000)],
  ]);
  return out.join('\n') + '\n';
}

function label(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
