import type { TaskAssignment, TaskCancel, TaskFinished, WorkerMessage } from '@baaaht/proto';
import type { AgentInstruments } from './agent-instruments';
import type { Clock } from './clock';
import { sleep } from './clock';
import { AgentError } from './errors';
import type { Logger } from './logger';
import type { AgentTask, TaskHandler, TaskHandlerEvent, TaskOutcome } from './task-handler';
import { toAgentTask } from './to-agent-task';
import { startTaskSpan } from './tracing';
import type { TaskSpan } from './tracing';
import { failureOutcome, handlerEventMessage, toTaskFinished } from './wire-mapping';
import type { ReportedTask } from './wire-mapping';

interface RunningTask extends ReportedTask {
  controller: AbortController;
  /** `baaaht.task`, ended when the outcome is reported. */
  span: TaskSpan;
  done: Promise<void>;
  /** Set when the handler never returned and the agent had to report on its behalf. */
  abandoned: boolean;
}

export interface TaskRunnerOptions {
  handler: TaskHandler;
  maxConcurrentTasks: number;
  logger: Logger;
  clock: Clock;
  instruments: Pick<AgentInstruments, 'taskReceived' | 'resultReported'>;
  /** Writes to the current Work stream; false (and nothing sent) while disconnected. */
  send(message: WorkerMessage): boolean;
  /** False once the agent is draining or stopped: new assignments are rejected with DRAINING. */
  accepting(): boolean;
  /** A task's outcome was reported (the agent's `task-finished` event). */
  onFinished(taskId: string, outcome: TaskOutcome): void;
}

/**
 * Takes pushed assignments into slots, runs them on the injected handler, forwards their events,
 * and keeps each outcome in an outbox until the hub acknowledges it (re-sent on every reconnect).
 */
export class TaskRunner {
  private readonly running = new Map<string, RunningTask>();
  /** Finished reports the hub has not acknowledged yet, in report order. */
  private readonly outbox = new Map<string, TaskFinished>();
  private readonly ackWaiters = new Set<() => void>();
  private readonly counts = { completed: 0, failed: 0 };

  constructor(private readonly options: TaskRunnerOptions) {}

  get runningCount(): number {
    return this.running.size;
  }

  get unacknowledgedCount(): number {
    return this.outbox.size;
  }

  get completed(): number {
    return this.counts.completed;
  }

  get failed(): number {
    return this.counts.failed;
  }

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Running and reported-but-unacknowledged tasks: the hub keeps both assigned to us. */
  heldIds(): string[] {
    return [...new Set([...this.running.keys(), ...this.outbox.keys()])];
  }

  unacknowledged(): Iterable<TaskFinished> {
    return this.outbox.values();
  }

  freeSlots(): number {
    return Math.max(0, this.options.maxConcurrentTasks - this.running.size);
  }

  assign(assignment: TaskAssignment): void {
    const { taskId } = assignment;
    this.options.instruments.taskReceived(assignment.tool);
    const reject = (code: string, message: string): void => {
      this.options.logger.debug('rejecting assignment', { component: 'agent', taskId, code });
      this.options.send({ payload: { $case: 'rejected', value: { taskId, code, message } } });
    };
    if (taskId === '' || assignment.tool === '') return reject('INVALID_ASSIGNMENT', 'task_id and tool are required');
    const held = this.running.get(taskId);
    if (held) {
      // A re-sent assignment after a reconnect: we already run it.
      this.options.send({
        payload: { $case: 'accepted', value: { taskId, attempt: held.task.attempt, startedAt: held.startedAt } },
      });
      return;
    }
    const reported = this.outbox.get(taskId);
    if (reported) {
      this.options.send({ payload: { $case: 'finished', value: reported } });
      return;
    }
    if (!this.options.accepting()) return reject('DRAINING', 'worker is draining');
    if (this.running.size >= this.options.maxConcurrentTasks) return reject('NO_CAPACITY', 'no free slot');
    if (!this.options.handler.tools().includes(assignment.tool)) {
      return reject('UNKNOWN_TOOL', `tool not supported here: ${assignment.tool}`);
    }
    this.start(toAgentTask(assignment));
  }

  cancel(cancel: TaskCancel): void {
    const entry = this.running.get(cancel.taskId);
    if (!entry) return;
    this.options.logger.debug('cancel requested', { component: 'agent', taskId: cancel.taskId, force: cancel.force });
    this.cancelEntry(entry, cancel.force, cancel.reason || 'cancelled by hub');
  }

  /** The hub has the report: forget it, and wake `awaitAcks` when the outbox is empty. */
  ack(taskId: string): void {
    this.outbox.delete(taskId);
    if (this.outbox.size === 0) this.wakeAckWaiters();
  }

  cancelAll(force: boolean, reason: string): void {
    for (const entry of this.running.values()) this.cancelEntry(entry, force, reason);
  }

  /** Resolves when no task runs any more, or after `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.running.size === 0) return;
    const all = Promise.all([...this.running.values()].map((entry) => entry.done));
    const timer = new AbortController();
    await Promise.race([all, sleep(this.options.clock, ms, timer.signal)]);
    timer.abort();
  }

  /** Reports every task whose handler still has not returned as cancelled (SHUTDOWN); a late return is ignored. */
  abandonRemaining(): void {
    for (const entry of [...this.running.values()]) {
      entry.abandoned = true;
      this.report(
        entry,
        failureOutcome('cancelled', 'SHUTDOWN', 'handler did not return after cancellation', entry.startedAt),
      );
    }
  }

  /** Resolves once the hub acknowledged every report, after `ms`, or at `wakeAckWaiters()`. */
  async awaitAcks(ms: number): Promise<void> {
    if (this.outbox.size === 0) return;
    const timer = new AbortController();
    let wake: () => void = () => undefined;
    const acked = new Promise<void>((resolve) => {
      wake = resolve;
      this.ackWaiters.add(wake);
    });
    await Promise.race([acked, sleep(this.options.clock, ms, timer.signal)]);
    this.ackWaiters.delete(wake);
    timer.abort();
  }

  wakeAckWaiters(): void {
    for (const wake of [...this.ackWaiters]) wake();
  }

  private start(task: AgentTask): void {
    const { taskId } = task;
    const controller = new AbortController();
    const startedAt = new Date();
    const entry: RunningTask = {
      task,
      controller,
      startedAt,
      containerId: '',
      offsets: { stdout: 0, stderr: 0 },
      done: Promise.resolve(),
      abandoned: false,
      span: startTaskSpan(task),
    };
    const { handler, logger } = this.options;
    this.running.set(taskId, entry);
    this.options.send({ payload: { $case: 'accepted', value: { taskId, attempt: task.attempt, startedAt } } });
    logger.debug('task accepted', { component: 'agent', taskId, tool: task.tool });
    const emit = (event: TaskHandlerEvent): void => {
      if (this.running.has(taskId)) this.options.send(handlerEventMessage(entry, event));
    };
    entry.done = Promise.resolve()
      .then(() => entry.span.run(() => handler.run(task, { signal: controller.signal, emit })))
      .catch((err: unknown): TaskOutcome => {
        const error = AgentError.fromUnknown(err, 'HANDLER_ERROR', { taskId, tool: task.tool });
        logger.error('task handler failed', { component: 'agent', taskId, error: error.message });
        return failureOutcome('error', 'HANDLER_ERROR', error.message, startedAt);
      })
      .then((outcome) => {
        if (!entry.abandoned) this.report(entry, outcome);
      });
  }

  private report(entry: RunningTask, outcome: TaskOutcome): void {
    const { taskId } = entry.task;
    this.running.delete(taskId);
    const finished = toTaskFinished(entry, outcome);
    this.outbox.set(taskId, finished);
    if (outcome.status === 'completed') this.counts.completed += 1;
    else this.counts.failed += 1;
    this.options.instruments.resultReported(outcome.status);
    entry.span.end(outcome);
    this.options.logger.debug('task finished', { component: 'agent', taskId, status: outcome.status });
    this.options.send({ payload: { $case: 'finished', value: finished } });
    this.options.onFinished(taskId, outcome);
  }

  private cancelEntry(entry: RunningTask, force: boolean, reason: string): void {
    entry.controller.abort(new AgentError('SHUTDOWN', reason, { taskId: entry.task.taskId }));
    Promise.resolve()
      .then(() => this.options.handler.cancel(entry.task.taskId, { force }))
      .catch((err: unknown) =>
        this.options.logger.warn('handler cancel failed', {
          component: 'agent',
          taskId: entry.task.taskId,
          error: (err as Error).message,
        }),
      );
  }
}
