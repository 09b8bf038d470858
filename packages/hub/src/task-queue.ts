import { TaskState } from '@baaaht/proto';
import type { TaskPatch, TaskRecord, TaskStore } from './task-store';

/**
 * The working set: every unfinished task, the queued ones in dispatch order, and which worker a
 * re-queued task was taken from. The store has the same records durably; every patch goes to both.
 *
 * A task in here is `QUEUED` (in `order`, waiting for a worker), or `ASSIGNED`/`RUNNING` (held by the
 * worker in `agentId`); it leaves once finished.
 */
export class TaskQueue {
  private readonly live = new Map<string, TaskRecord>();
  /** Queued task ids in dispatch order. */
  private order: string[] = [];
  /** When each queued task was (re)queued, on the hub clock; for the dispatch latency. */
  private readonly enqueuedAt = new Map<string, number>();
  /** Queued task id -> the worker it was taken from, which may reclaim it on hello while nobody else has it. */
  private readonly releasedBy = new Map<string, string>();

  constructor(private readonly store: TaskStore) {}

  get(taskId: string): TaskRecord | undefined {
    return this.live.get(taskId);
  }

  /** The task if `agentId` holds it now. */
  heldBy(taskId: string, agentId: string): TaskRecord | undefined {
    const task = this.live.get(taskId);
    return task && task.agentId === agentId ? task : undefined;
  }

  /** Unfinished tasks, queued ones included. */
  get size(): number {
    return this.live.size;
  }

  get queued(): number {
    return this.order.length;
  }

  /** Assigned or running: unfinished and not queued. */
  get running(): number {
    return Math.max(0, this.live.size - this.order.length);
  }

  /** Tracks an unfinished task without queueing it (a task its worker still holds after a restart). */
  track(task: TaskRecord): void {
    this.live.set(task.taskId, task);
  }

  /** Tracks `task` and queues it last (a new submission, or a queued task recovered from the store). */
  enqueue(task: TaskRecord, now: number): void {
    this.live.set(task.taskId, task);
    this.order.push(task.taskId);
    this.enqueuedAt.set(task.taskId, now);
  }

  /** Puts a task taken from `fromAgentId` back at the head of the queue. */
  requeueFirst(task: TaskRecord, fromAgentId: string, now: number): void {
    this.patch(task, { state: TaskState.TASK_STATE_QUEUED, agentId: '', agentName: '' });
    this.releasedBy.set(task.taskId, fromAgentId);
    this.order.unshift(task.taskId);
    this.enqueuedAt.set(task.taskId, now);
  }

  /** Whether `agentId` is the worker the queued task was taken from. */
  releasedTo(taskId: string, agentId: string): boolean {
    return this.releasedBy.get(taskId) === agentId;
  }

  /** Takes a queued task out of the queue; it stays tracked (cancelled, or reclaimed by its worker). */
  dequeue(taskId: string): void {
    this.releasedBy.delete(taskId);
    this.enqueuedAt.delete(taskId);
    this.order = this.order.filter((id) => id !== taskId);
  }

  /** Stops tracking a finished task. */
  forget(taskId: string): void {
    this.live.delete(taskId);
    this.releasedBy.delete(taskId);
    this.enqueuedAt.delete(taskId);
  }

  /**
   * Offers each queued task, in order, to `place` (with the ms it has waited), which returns true if it
   * assigned the task; stops early once `more()` says no worker has room. Assigned tasks leave the queue,
   * the rest keep their order.
   */
  drain(place: (task: TaskRecord, waitedMs: number) => boolean, more: () => boolean, now: number): void {
    const remaining: string[] = [];
    for (let i = 0; i < this.order.length; i++) {
      const taskId = this.order[i] as string;
      const task = this.live.get(taskId);
      if (!task || task.state !== TaskState.TASK_STATE_QUEUED) continue;
      if (!place(task, now - (this.enqueuedAt.get(taskId) ?? now))) {
        remaining.push(taskId);
        continue;
      }
      this.releasedBy.delete(taskId);
      this.enqueuedAt.delete(taskId);
      if (!more()) {
        remaining.push(...this.order.slice(i + 1));
        break;
      }
    }
    this.order = remaining;
  }

  /** Applies `patch` to the working copy and the store. */
  patch(task: TaskRecord, patch: TaskPatch): void {
    Object.assign(task, patch);
    this.store.updateTask(task.taskId, patch);
  }
}
