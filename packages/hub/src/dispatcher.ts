import { TaskState } from '@baaaht/proto';
import type { TaskEvent } from '@baaaht/proto';
import type { Clock } from './clock';
import type { EmitHubEvent } from './hub-events';
import type { HubMetrics, RequeueReason } from './hub-metrics';
import type { Logger } from './logger';
import { cancelledResult } from './result-recorder';
import type { ResultRecorder } from './result-recorder';
import type { SessionAffinity } from './session-affinity';
import type { TaskQueue } from './task-queue';
import type { TaskRecord } from './task-store';
import { traceDispatch } from './tracing';
import { channelOf, hasRoom } from './worker-session';
import type { WorkerSession } from './worker-session';

export interface DispatcherOptions {
  queue: TaskQueue;
  recorder: ResultRecorder;
  clock: Clock;
  logger: Logger;
  metrics: HubMetrics;
  leaseMs: number;
  /** Which worker holds each sandbox session: a session's calls go there (see session-affinity.ts). */
  affinity: SessionAffinity;
  /** Every live session; dispatch only looks at those with room. */
  sessions(): Iterable<WorkerSession>;
  publish(event: TaskEvent): void;
  emit: EmitHubEvent;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** Whether `session` could ever run `task`: it has the tool (and did not refuse it) and matches the selector. */
function fits(task: TaskRecord, session: WorkerSession): boolean {
  const tools = session.record.capabilities.supportedTools;
  const tool = task.assignment.tool;
  if ((tools.length > 0 && !tools.includes(tool)) || session.refusedTools.has(tool)) return false;
  return labelsMatch(task.selector, session.record.metadata.labels);
}

/**
 * Push dispatch: queued tasks go, in order, to streaming workers with a free slot that have the tool
 * and match the task's selector (the one with the most free slots wins); each assignment carries the
 * lease. Tasks taken back from a worker go to the head of the queue. A task with a session id goes
 * only to the worker holding that session (waiting while it is full or briefly away), unless that
 * worker is gone: then it is dispatched normally and recorded as moved (see session-affinity.ts).
 *
 * State: `idle` or `pumping`; a `pump()` while pumping folds into one more pass (`again`), so
 * re-entrant calls from inside an assignment never interleave.
 */
export class Dispatcher {
  private state: 'idle' | 'pumping' = 'idle';
  private again = false;
  private stopped = false;
  /** Pumps again when a session's away holder runs out of lease (its waiting call may then move). */
  private wake: { at: number; timer: unknown } | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  /** Hands queued tasks to workers with room. */
  pump(): void {
    if (this.stopped) return;
    if (this.state === 'pumping') {
      this.again = true;
      return;
    }
    this.state = 'pumping';
    try {
      do {
        this.again = false;
        this.pumpOnce();
      } while (this.again);
    } finally {
      this.state = 'idle';
    }
  }

  /** No dispatch after this (the hub is closing). */
  stop(): void {
    this.stopped = true;
    if (this.wake) this.options.clock.clearTimeout(this.wake.timer);
    this.wake = undefined;
  }

  private pumpOnce(): void {
    const { queue, clock, affinity } = this.options;
    if (queue.queued === 0) return;
    const candidates = [...this.options.sessions()].filter(hasRoom);
    if (candidates.length === 0) return;
    let wakeAt: number | undefined;
    queue.drain(
      (task, waitedMs) => {
        const sessionId = task.assignment.sessionId;
        const route = sessionId ? affinity.route(sessionId, (w) => fits(task, w)) : { kind: 'free' as const };
        if (route.kind === 'wait') {
          wakeAt = Math.min(wakeAt ?? route.until, route.until);
          return false;
        }
        const worker =
          route.kind === 'holder'
            ? hasRoom(route.worker)
              ? route.worker
              : undefined
            : this.pickWorker(task, candidates);
        if (!worker) return false;
        this.options.metrics.taskAssigned(task.assignment.tool, waitedMs);
        this.assign(task, worker, waitedMs);
        if (sessionId) affinity.placed(sessionId, task.taskId, worker, route.kind === 'move' ? route : undefined);
        return true;
      },
      () => candidates.some(hasRoom),
      clock.now(),
    );
    if (wakeAt !== undefined) this.wakeAt(wakeAt);
  }

  private wakeAt(at: number): void {
    const { clock } = this.options;
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) clock.clearTimeout(this.wake.timer);
    const timer = clock.setTimeout(
      () => {
        this.wake = undefined;
        this.pump();
      },
      Math.max(0, at - clock.now()),
    );
    this.wake = { at, timer };
  }

  private pickWorker(task: TaskRecord, candidates: WorkerSession[]): WorkerSession | undefined {
    let best: WorkerSession | undefined;
    let bestFree = 0;
    for (const session of candidates) {
      if (!hasRoom(session) || !fits(task, session)) continue;
      const free = session.maxSlots - session.outstanding.size;
      if (free > bestFree) {
        best = session;
        bestFree = free;
      }
    }
    return best;
  }

  private assign(task: TaskRecord, session: WorkerSession, waitedMs: number): void {
    const { agentId, name } = session.record;
    const attempts = task.attempts + 1;
    this.options.queue.patch(task, { state: TaskState.TASK_STATE_ASSIGNED, agentId, agentName: name, attempts });
    session.outstanding.add(task.taskId);
    this.options.publish({
      taskId: task.taskId,
      payload: { $case: 'assigned', value: { agentId, attempt: attempts } },
    });
    this.options.logger.debug('task assigned', { component: 'hub', taskId: task.taskId, agentId, attempt: attempts });
    const facts = { assignment: task.assignment, attempt: attempts, waitedMs, agentId, workerName: name };
    traceDispatch(facts, (traceContext) =>
      channelOf(session)?.send({
        payload: {
          $case: 'assign',
          value: { ...task.assignment, attempt: attempts, leaseMs: this.options.leaseMs, traceContext },
        },
      }),
    );
  }

  /** Takes `taskId` back from `from`: queued again at the head, or finished as cancelled if cancel was asked. */
  requeue(taskId: string, from: WorkerSession, reason: string, kind: RequeueReason): void {
    from.outstanding.delete(taskId);
    const { queue } = this.options;
    const task = queue.get(taskId);
    if (!task || task.agentId !== from.record.agentId) return;
    if (task.cancelRequested) {
      this.options.recorder.complete(task, cancelledResult(task, `cancelled (${reason})`), from.record.agentId);
      return;
    }
    queue.requeueFirst(task, from.record.agentId, this.options.clock.now());
    this.options.metrics.taskRequeued(kind);
    this.options.logger.info('task requeued', { component: 'hub', taskId, reason, attempt: task.attempts });
    this.options.publish({ taskId, payload: { $case: 'requeued', value: { reason, attempt: task.attempts } } });
    this.options.emit('task-requeued', taskId, reason, task.attempts);
  }

  /** Takes every outstanding task back from `from`. */
  requeueAll(from: WorkerSession, reason: string, kind: RequeueReason): void {
    for (const taskId of [...from.outstanding]) this.requeue(taskId, from, reason, kind);
  }
}
