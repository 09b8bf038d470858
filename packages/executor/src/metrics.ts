import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from './metric-meter';
import { noopMeter } from './metric-meter';
import { TASK_STATUSES } from './task-types';
import type { TaskStatus } from './task-types';

/** Counters since the executor was created. A snapshot: later changes do not show up in it. */
export interface ExecutorMetrics {
  tasks: Record<TaskStatus, number>;
  egressAllowed: number;
  egressDenied: number;
  containersCreated: number;
  containersRemoved: number;
  /** Containers removed by the reaper (orphans, expired deadlines). */
  containersReaped: number;
  activeTasks: number;
  queuedTasks: number;
}

/** The metric names the executor emits (agreed with the worker's prom-client registry: do not rename). */
export const EXECUTOR_METRICS = Object.freeze({
  tasks: 'baaaht_executor_tasks_total',
  taskDuration: 'baaaht_executor_task_duration_seconds',
  containerStart: 'baaaht_executor_container_start_seconds',
  containers: 'baaaht_executor_containers_total',
  egressDecisions: 'baaaht_executor_egress_decisions_total',
  tasksActive: 'baaaht_executor_tasks_active',
  tasksQueued: 'baaaht_executor_tasks_queued',
});

export const TASK_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
]);
export const CONTAINER_START_BUCKETS: readonly number[] = Object.freeze([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

/** The `tool` label of a task whose tool is not in the catalog (keeps arbitrary names out of the label set). */
export const UNKNOWN_TOOL_LABEL = '(unknown)';

type ContainerEvent = 'created' | 'removed' | 'reaped';

/**
 * Counts for `executor.metrics()` and emits the same facts through the injected `MetricMeter`.
 * Every label combination the catalog makes possible is emitted once as 0 at creation, so a
 * dashboard sees zeros rather than missing series.
 */
export class MetricsRecorder {
  private readonly counts = {
    tasks: Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>,
    egressAllowed: 0,
    egressDenied: 0,
    containersCreated: 0,
    containersRemoved: 0,
    containersReaped: 0,
  };
  private readonly tasksTotal: MetricCounter;
  private readonly taskDuration: MetricHistogram;
  private readonly containerStart: MetricHistogram;
  private readonly containersTotal: MetricCounter;
  private readonly egressTotal: MetricCounter;
  private readonly active: MetricGauge;
  private readonly queued: MetricGauge;

  constructor(meter: MetricMeter = noopMeter, tools: readonly string[] = []) {
    this.tasksTotal = meter.counter({
      name: EXECUTOR_METRICS.tasks,
      help: 'Tasks finished, by tool and status.',
      labelNames: ['tool', 'status'],
    });
    this.taskDuration = meter.histogram({
      name: EXECUTOR_METRICS.taskDuration,
      help: 'Time from a task being accepted to its result, in seconds.',
      labelNames: ['tool', 'status'],
      buckets: TASK_DURATION_BUCKETS,
    });
    this.containerStart = meter.histogram({
      name: EXECUTOR_METRICS.containerStart,
      help: "Time from a step's container create request to the container started, in seconds.",
      labelNames: ['tool'],
      buckets: CONTAINER_START_BUCKETS,
    });
    this.containersTotal = meter.counter({
      name: EXECUTOR_METRICS.containers,
      help: 'Containers created, removed by the executor, and removed by the reaper.',
      labelNames: ['event'],
    });
    this.egressTotal = meter.counter({
      name: EXECUTOR_METRICS.egressDecisions,
      help: 'Egress proxy connection decisions.',
      labelNames: ['decision'],
    });
    this.active = meter.gauge({ name: EXECUTOR_METRICS.tasksActive, help: 'Tasks holding a slot now.' });
    this.queued = meter.gauge({ name: EXECUTOR_METRICS.tasksQueued, help: 'Tasks waiting for a slot now.' });
    for (const tool of tools) for (const status of TASK_STATUSES) this.tasksTotal.add(0, { tool, status });
    for (const event of ['created', 'removed', 'reaped'] as const) this.containersTotal.add(0, { event });
    for (const decision of ['allowed', 'denied']) this.egressTotal.add(0, { decision });
    this.slots(0, 0);
  }

  /** A task finished after `durationMs` since it was accepted. */
  task(status: TaskStatus, tool: string = UNKNOWN_TOOL_LABEL, durationMs?: number): void {
    this.counts.tasks[status]++;
    this.tasksTotal.add(1, { tool, status });
    if (durationMs !== undefined) this.taskDuration.record(Math.max(0, durationMs) / 1000, { tool, status });
  }

  egress(allowed: boolean): void {
    if (allowed) this.counts.egressAllowed++;
    else this.counts.egressDenied++;
    this.egressTotal.add(1, { decision: allowed ? 'allowed' : 'denied' });
  }

  container(event: ContainerEvent): void {
    if (event === 'created') this.counts.containersCreated++;
    else if (event === 'removed') this.counts.containersRemoved++;
    else this.counts.containersReaped++;
    this.containersTotal.add(1, { event });
  }

  containerStarted(tool: string, seconds: number): void {
    this.containerStart.record(Math.max(0, seconds), { tool });
  }

  /** The task slots changed: `active` hold one, `queued` wait for one. */
  slots(active: number, queued: number): void {
    this.active.set(active);
    this.queued.set(queued);
  }

  snapshot(activeTasks: number, queuedTasks: number): ExecutorMetrics {
    return { ...this.counts, tasks: { ...this.counts.tasks }, activeTasks, queuedTasks };
  }
}
