import { TaskFinished, TaskState } from '@baaaht/proto';
import type { FlowUpdate, TaskEvent, TaskRejected, WorkHello, WorkerMessage } from '@baaaht/proto';
import type { Clock } from './clock';
import type { Dispatcher } from './dispatcher';
import { HubError, invalidField } from './errors';
import type { EmitHubEvent } from './hub-events';
import type { Logger } from './logger';
import type { ResultRecorder } from './result-recorder';
import type { SessionAffinity } from './session-affinity';
import { tokenMatches } from './session-registry';
import type { SessionRegistry } from './session-registry';
import type { TaskQueue } from './task-queue';
import { afterResult, announcedAvailability, channelOf, fullUnlessDraining } from './worker-session';
import type { WorkerChannel, WorkerSession } from './worker-session';

/** What the gRPC layer calls for each message of one Work stream. */
export interface WorkConnection {
  message(message: WorkerMessage): void;
  closed(): void;
}

export interface WorkStreamsOptions {
  registry: SessionRegistry;
  queue: TaskQueue;
  dispatcher: Dispatcher;
  recorder: ResultRecorder;
  affinity: SessionAffinity;
  clock: Clock;
  logger: Logger;
  publish(event: TaskEvent): void;
  emit: EmitHubEvent;
  isClosed(): boolean;
}

/**
 * The Work stream protocol: hello (authenticated, reconciles what the worker still runs with what the
 * hub thinks it holds, and says which sandbox sessions it holds), then accepted/output/progress/finished/
 * rejected/flow/sessions/session_closed from the worker.
 */
export class WorkStreams {
  constructor(private readonly options: WorkStreamsOptions) {}

  open(channel: WorkerChannel): WorkConnection {
    const { registry, logger } = this.options;
    let session: WorkerSession | undefined;
    let failed = false;
    const fail = (error: HubError): void => {
      failed = true;
      channel.close(error);
    };
    const current = (s: WorkerSession): boolean => channelOf(s) === channel;
    return {
      message: (message) => {
        if (failed) return;
        const payload = message.payload;
        if (!session) {
          if (payload?.$case !== 'hello') return fail(invalidField('hello', 'must be the first message'));
          const found = registry.get(payload.value.agentId);
          if (!found || !tokenMatches(found.record.token, payload.value.token)) {
            logger.warn('hello with an unknown agent id or bad token', {
              component: 'hub',
              agentId: payload.value.agentId,
            });
            return fail(new HubError('UNAUTHENTICATED', 'hello: unknown agent id or bad token'));
          }
          if (this.options.isClosed()) return fail(new HubError('HUB_CLOSED', 'hub is closing'));
          session = found;
          this.hello(session, channel, payload.value);
          return;
        }
        if (!current(session)) return;
        registry.touch(session);
        try {
          this.onMessage(session, channel, message);
        } catch (err) {
          const error = HubError.fromUnknown(err, { agentId: session.record.agentId });
          logger.error('work message failed', { component: 'hub', error: error.message, code: error.code });
        }
      },
      closed: () => {
        if (!session || !current(session)) return;
        const now = this.options.clock.now();
        session.connection = { kind: 'disconnected', since: now };
        session.lastSeen = now;
        logger.info('worker disconnected', { component: 'hub', agentId: session.record.agentId });
        this.options.emit('worker-disconnected', session.record.agentId);
        registry.streamClosed(session);
      },
    };
  }

  private hello(session: WorkerSession, channel: WorkerChannel, hello: WorkHello): void {
    const { queue, dispatcher } = this.options;
    const { agentId } = session.record;
    const old = channelOf(session);
    const now = this.options.clock.now();
    session.connection = { kind: 'streaming', channel, since: now };
    if (old) old.close(new HubError('SUPERSEDED', 'replaced by a newer Work stream', { agentId }));
    this.options.registry.streamOpened(session);
    session.lastSeen = now;
    session.maxSlots = Math.max(0, hello.maxSlots);
    session.freeSlots = hello.freeSlots;
    session.availability = announcedAvailability(hello.draining);
    const expected = [...session.outstanding];
    channel.send({ payload: { $case: 'welcome', value: { agentId, expectedTaskIds: expected } } });
    // Before anything is dispatched: a session call must find its holder.
    this.options.affinity.reported(session, hello.sessions);
    this.options.affinity.connected(session);

    const held = new Set(hello.runningTaskIds);
    for (const taskId of held) {
      const task = queue.get(taskId);
      if (task && task.agentId === agentId && task.state !== TaskState.TASK_STATE_QUEUED) {
        session.outstanding.add(taskId);
        if (task.cancelRequested)
          channel.send({ payload: { $case: 'cancel', value: { taskId, reason: 'cancelled', force: true } } });
      } else if (task && task.state === TaskState.TASK_STATE_QUEUED && queue.releasedTo(taskId, agentId)) {
        // Re-queued while the worker was away but nobody took it yet: let the worker that runs it keep it.
        // Only the worker it was taken from may: announcing someone else's queued task claims nothing.
        queue.dequeue(taskId);
        queue.patch(task, { state: TaskState.TASK_STATE_RUNNING, agentId, agentName: session.record.name });
        session.outstanding.add(taskId);
      } else {
        // Reassigned elsewhere or already finished: stop the duplicate; its late result will be ignored.
        channel.send({ payload: { $case: 'cancel', value: { taskId, reason: 'task was reassigned', force: true } } });
      }
    }
    for (const taskId of expected) {
      if (!held.has(taskId)) dispatcher.requeue(taskId, session, 'worker no longer holds the task', 'worker_lost_task');
    }
    this.options.logger.info('worker connected', {
      component: 'hub',
      agentId,
      slots: session.maxSlots,
      held: held.size,
    });
    this.options.emit('worker-connected', agentId);
    dispatcher.pump();
  }

  private onMessage(session: WorkerSession, channel: WorkerChannel, message: WorkerMessage): void {
    const { recorder, queue, clock, publish } = this.options;
    const payload = message.payload;
    if (!payload) return;
    switch (payload.$case) {
      case 'hello':
        return;
      case 'accepted': {
        const task = recorder.ownedBy(session, payload.value.taskId, payload.value.attempt, 'accepted');
        if (!task) return;
        if (task.state === TaskState.TASK_STATE_ASSIGNED) {
          queue.patch(task, { state: TaskState.TASK_STATE_RUNNING, startedAt: clock.now() });
        }
        publish({ taskId: task.taskId, payload: { $case: 'accepted', value: payload.value } });
        return;
      }
      case 'output':
        if (recorder.ownedBy(session, payload.value.taskId, 0, 'output')) {
          publish({ taskId: payload.value.taskId, payload: { $case: 'output', value: payload.value } });
        }
        return;
      case 'progress':
        if (recorder.ownedBy(session, payload.value.taskId, 0, 'progress')) {
          publish({ taskId: payload.value.taskId, payload: { $case: 'progress', value: payload.value } });
        }
        return;
      case 'finished':
        recorder.reported(session, payload.value);
        session.availability = afterResult(session.availability);
        // Recorded durably above; only now may the worker forget it.
        channel.send({ payload: { $case: 'ack', value: { taskId: payload.value.taskId } } });
        this.options.dispatcher.pump();
        return;
      case 'rejected':
        this.onRejected(session, payload.value);
        return;
      case 'flow':
        this.onFlow(session, payload.value);
        return;
      case 'sessions':
        this.options.affinity.reported(session, payload.value.sessions);
        this.options.dispatcher.pump();
        return;
      case 'sessionClosed':
        this.options.affinity.closedBy(session, payload.value.sessionId, payload.value.closed);
        return;
    }
  }

  private onRejected(session: WorkerSession, rejected: TaskRejected): void {
    const { queue, recorder, dispatcher } = this.options;
    const agentId = session.record.agentId;
    const task = queue.heldBy(rejected.taskId, agentId);
    if (!task) return;
    if (rejected.code === 'DRAINING') session.availability = 'draining';
    else if (rejected.code === 'UNKNOWN_TOOL') session.refusedTools.add(task.assignment.tool);
    else if (rejected.code === 'NO_CAPACITY') session.availability = fullUnlessDraining(session.availability);
    if (rejected.code === 'INVALID_ASSIGNMENT') {
      recorder.complete(
        task,
        TaskFinished.fromPartial({
          taskId: task.taskId,
          state: TaskState.TASK_STATE_ERROR,
          exitCode: -1,
          attempt: task.attempts,
          error: { code: 'INVALID_ASSIGNMENT', message: rejected.message || 'worker rejected the assignment' },
        }),
        agentId,
      );
      session.outstanding.delete(task.taskId);
    } else {
      dispatcher.requeue(task.taskId, session, `rejected: ${rejected.code}`, 'rejected');
    }
    dispatcher.pump();
  }

  private onFlow(session: WorkerSession, flow: FlowUpdate): void {
    if (flow.maxSlots > 0) session.maxSlots = flow.maxSlots;
    session.freeSlots = flow.freeSlots;
    session.availability = announcedAvailability(flow.draining);
    this.options.dispatcher.pump();
  }
}
