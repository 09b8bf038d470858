import { TaskFinished, TaskState, isTerminalTaskState } from '@baaaht/proto';
import type { TaskEvent } from '@baaaht/proto';
import type { Clock } from './clock';
import { HubError } from './errors';
import type { EmitHubEvent } from './hub-events';
import type { HubMetrics } from './hub-metrics';
import type { Logger } from './logger';
import type { TaskQueue } from './task-queue';
import type { TaskRecord, TaskStore } from './task-store';
import type { WorkerSession } from './worker-session';

export interface ResultRecorderOptions {
  store: TaskStore;
  queue: TaskQueue;
  clock: Clock;
  logger: Logger;
  metrics: HubMetrics;
  publish(event: TaskEvent): void;
  emit: EmitHubEvent;
  /** The registered name of a live worker, '' if it is gone. */
  workerName(agentId: string): string;
  /** Adds what only the hub knows to a result before it is recorded (the session move flag). @default none */
  annotate?(task: TaskRecord, finished: TaskFinished): TaskFinished;
}

interface Waiter {
  resolve(finished: TaskFinished): void;
  reject(error: Error): void;
}

/** The result of a task that ends without running (cancelled while queued, or while its worker was away). */
export function cancelledResult(task: TaskRecord, reason: string): TaskFinished {
  return TaskFinished.fromPartial({
    taskId: task.taskId,
    state: TaskState.TASK_STATE_CANCELLED,
    exitCode: -1,
    attempt: task.attempts,
    finishedAt: new Date(),
    error: { code: 'CANCELLED', message: reason },
  });
}

/**
 * Results: only the worker that holds a task (at its current attempt) may report on it, exactly one
 * terminal result is recorded (the store's `finishTask` decides), later ones are acked and ignored.
 * Recording is durable before anybody hears of it: events, `result()` promises, `task-finished`.
 */
export class ResultRecorder {
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(private readonly options: ResultRecorderOptions) {}

  /**
   * The task if it is assigned to this worker now (and `attempt`, when the message carries one, is its
   * current attempt); otherwise undefined, logged: a report about somebody else's task is never recorded.
   */
  ownedBy(session: WorkerSession, taskId: string, attempt: number, kind: string): TaskRecord | undefined {
    const agentId = session.record.agentId;
    const task = this.options.queue.get(taskId);
    const owned =
      task !== undefined &&
      task.agentId === agentId &&
      (task.state === TaskState.TASK_STATE_ASSIGNED || task.state === TaskState.TASK_STATE_RUNNING) &&
      (attempt === 0 || attempt === task.attempts);
    if (owned) return task;
    this.options.logger.warn(`ignoring ${kind} for a task not assigned to this worker`, {
      component: 'hub',
      taskId,
      agentId,
      assignedTo: task?.agentId ?? '',
      state: task?.state ?? 'finished or unknown',
      attempt,
      currentAttempt: task?.attempts ?? 0,
    });
    return undefined;
  }

  /** A worker's `finished` report: recorded if the worker owns the task, else ignored; the worker forgets it either way. */
  reported(session: WorkerSession, finished: TaskFinished): void {
    const { taskId } = finished;
    const agentId = session.record.agentId;
    const task = this.ownedBy(session, taskId, finished.attempt, 'finished');
    if (task) {
      if (!isTerminalTaskState(finished.state)) {
        finished = TaskFinished.fromPartial({
          ...finished,
          state: TaskState.TASK_STATE_ERROR,
          error: { code: 'INVALID_RESULT', message: `worker reported non-terminal state ${finished.state}` },
        });
      }
      this.complete(task, finished, agentId);
      session.outstanding.delete(taskId);
    } else if (this.options.queue.get(taskId)?.agentId !== agentId) {
      session.outstanding.delete(taskId);
    }
  }

  /** Records the first terminal result durably, then tells everybody. */
  complete(task: TaskRecord, finished: TaskFinished, agentId: string): void {
    const { store, queue, clock } = this.options;
    const now = clock.now();
    if (agentId && task.agentId !== agentId) {
      queue.patch(task, { agentId, agentName: this.options.workerName(agentId) });
    }
    if (this.options.annotate) finished = this.options.annotate(task, finished);
    const recorded = store.finishTask(task.taskId, finished, now);
    queue.forget(task.taskId);
    if (!recorded) return;
    this.options.metrics.taskFinished(task.assignment.tool, finished.state, now - task.createdAt);
    this.options.publish({ taskId: task.taskId, payload: { $case: 'finished', value: finished } });
    for (const waiter of this.waiters.get(task.taskId) ?? []) waiter.resolve(finished);
    this.waiters.delete(task.taskId);
    this.options.emit('task-finished', task.taskId, finished, agentId);
  }

  /** Resolves with the task's result once `complete` records it. */
  wait(taskId: string): Promise<TaskFinished> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(taskId) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(taskId, list);
    });
  }

  /** Rejects every pending `wait` with HUB_CLOSED. */
  close(): void {
    for (const [taskId, list] of this.waiters) {
      for (const waiter of list)
        waiter.reject(new HubError('HUB_CLOSED', 'hub closed before the task finished', { taskId }));
    }
    this.waiters.clear();
  }
}
