import { taskStateWord } from '@baaaht/proto';
import type { TaskState } from '@baaaht/proto';
import { noopMeter } from './metric-meter';
import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from './metric-meter';
import type { WorkerSession } from './worker-session';

/** Buckets of `baaaht_hub_dispatch_latency_seconds`: from enqueue to a worker. */
export const DISPATCH_LATENCY_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60];

/** Buckets of `baaaht_hub_task_duration_seconds`: from submit to the final result. */
export const TASK_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/**
 * Why a task went back to the queue; a closed set, so a worker cannot grow the label's values:
 * - `lease_expired`: its worker stayed away longer than `leaseMs`;
 * - `worker_gone`: its worker unregistered or its registration expired;
 * - `worker_lost_task`: its worker reconnected without it;
 * - `rejected`: its worker refused the assignment (draining, no capacity, unknown tool, ...).
 */
export type RequeueReason = 'lease_expired' | 'worker_gone' | 'worker_lost_task' | 'rejected';

/**
 * Why a session's call went to another worker than the one holding it (`baaaht_hub_session_moves_total`):
 * - `holder_gone`: the holder unregistered, expired, or stayed away longer than `leaseMs`;
 * - `holder_draining`: the holder is draining (it closes its sessions on the way out);
 * - `holder_unfit`: the holder cannot run this call (tool not offered or refused, selector does not match).
 */
export type SessionMoveReason = 'holder_gone' | 'holder_draining' | 'holder_unfit';

/** The `state` label of `baaaht_hub_sessions` (see `ListedSessionState` in session-affinity.ts). */
export type SessionGaugeState = 'assigned' | 'active' | 'closing' | 'lost';

/**
 * The `state` label of `baaaht_hub_workers`, one per session:
 * `registered` (no Work stream yet), `streaming` (connected and accepting), `draining`, `full`
 * (connected, refused for capacity), `disconnected`. The values sum to the live registrations.
 */
export type WorkerGaugeState = 'registered' | 'streaming' | 'draining' | 'full' | 'disconnected';

const WORKER_STATES: readonly WorkerGaugeState[] = ['registered', 'streaming', 'draining', 'full', 'disconnected'];

function gaugeState(session: WorkerSession): WorkerGaugeState {
  if (session.connection.kind !== 'streaming') return session.connection.kind;
  return session.availability === 'accepting' ? 'streaming' : session.availability;
}

const seconds = (ms: number): number => Math.max(0, ms) / 1000;

/** The hub's instruments (`baaaht_hub_*`), created once on the injected meter. */
export class HubMetrics {
  private readonly submitted: MetricCounter;
  private readonly finished: MetricCounter;
  private readonly requeued: MetricCounter;
  private readonly dispatchLatency: MetricHistogram;
  private readonly duration: MetricHistogram;
  private readonly queued: MetricGauge;
  private readonly running: MetricGauge;
  private readonly workers: MetricGauge;
  private readonly sessions: MetricGauge;
  private readonly sessionMoves: MetricCounter;
  /** Counting sessions for the gauges is skipped when nobody listens. */
  private readonly listening: boolean;

  constructor(meter: MetricMeter) {
    this.listening = meter !== noopMeter;
    this.submitted = meter.counter({
      name: 'baaaht_hub_tasks_submitted_total',
      help: 'Tasks accepted by submit (resubmissions of an existing id excluded).',
      labelNames: ['tool'],
    });
    this.finished = meter.counter({
      name: 'baaaht_hub_tasks_finished_total',
      help: 'Tasks that reached a final state, recorded once per task.',
      labelNames: ['tool', 'state'],
    });
    this.requeued = meter.counter({
      name: 'baaaht_hub_tasks_requeued_total',
      help: 'Tasks taken back from a worker and queued again.',
      labelNames: ['reason'],
    });
    this.dispatchLatency = meter.histogram({
      name: 'baaaht_hub_dispatch_latency_seconds',
      help: 'From enqueue (submit or requeue) to assignment to a worker.',
      labelNames: ['tool'],
      buckets: DISPATCH_LATENCY_BUCKETS,
    });
    this.duration = meter.histogram({
      name: 'baaaht_hub_task_duration_seconds',
      help: 'From submit to the final result.',
      labelNames: ['tool', 'state'],
      buckets: TASK_DURATION_BUCKETS,
    });
    this.queued = meter.gauge({ name: 'baaaht_hub_tasks_queued', help: 'Tasks waiting for a worker.' });
    this.running = meter.gauge({
      name: 'baaaht_hub_tasks_running',
      help: 'Tasks assigned to a worker and not finished.',
    });
    this.workers = meter.gauge({
      name: 'baaaht_hub_workers',
      help: 'Worker registrations by connection state.',
      labelNames: ['state'],
    });
    this.sessions = meter.gauge({
      name: 'baaaht_hub_sessions',
      help: 'Sandbox sessions the hub routes calls to, by state (lost: the holder is gone).',
      labelNames: ['state'],
    });
    this.sessionMoves = meter.counter({
      name: 'baaaht_hub_session_moves_total',
      help: "Session calls dispatched away from the session's holder, which then starts anew elsewhere.",
      labelNames: ['reason'],
    });
  }

  sessionMoved(reason: SessionMoveReason): void {
    this.sessionMoves.add(1, { reason });
  }

  /** Sets `baaaht_hub_sessions` from the affinity table's counts. */
  observeSessions(counts: Record<SessionGaugeState, number>): void {
    if (!this.listening) return;
    for (const [state, n] of Object.entries(counts)) this.sessions.set(n, { state });
  }

  taskSubmitted(tool: string): void {
    this.submitted.add(1, { tool });
  }

  taskAssigned(tool: string, waitedMs: number): void {
    this.dispatchLatency.record(seconds(waitedMs), { tool });
  }

  taskRequeued(reason: RequeueReason): void {
    this.requeued.add(1, { reason });
  }

  taskFinished(tool: string, state: TaskState, tookMs: number): void {
    const labels = { tool, state: taskStateWord(state) };
    this.finished.add(1, labels);
    this.duration.record(seconds(tookMs), labels);
  }

  /** Sets the gauges from the current working set and sessions. */
  observe(tasks: { queued: number; running: number }, sessions: Iterable<WorkerSession>): void {
    if (!this.listening) return;
    this.queued.set(tasks.queued);
    this.running.set(tasks.running);
    const counts = new Map<WorkerGaugeState, number>(WORKER_STATES.map((s) => [s, 0]));
    for (const session of sessions) {
      const state = gaugeState(session);
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    for (const [state, n] of counts) this.workers.set(n, { state });
  }
}
