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

export class MetricsRecorder {
  private readonly counts = {
    tasks: Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>,
    egressAllowed: 0,
    egressDenied: 0,
    containersCreated: 0,
    containersRemoved: 0,
    containersReaped: 0,
  };

  task(status: TaskStatus): void {
    this.counts.tasks[status]++;
  }

  egress(allowed: boolean): void {
    if (allowed) this.counts.egressAllowed++;
    else this.counts.egressDenied++;
  }

  containerCreated(): void {
    this.counts.containersCreated++;
  }

  containerRemoved(): void {
    this.counts.containersRemoved++;
  }

  containerReaped(): void {
    this.counts.containersReaped++;
  }

  snapshot(activeTasks: number, queuedTasks: number): ExecutorMetrics {
    return { ...this.counts, tasks: { ...this.counts.tasks }, activeTasks, queuedTasks };
  }
}
