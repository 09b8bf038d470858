import { EventEmitter } from 'node:events';
import { TaskState } from '@baaaht/proto';
import type {
  Agent,
  CloseSessionResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
  SessionInfo,
  Task,
  TaskAssignment,
  TaskEvent,
  TaskFinished,
} from '@baaaht/proto';
import type { Clock } from './clock';
import { Dispatcher } from './dispatcher';
import { HubError, invalidField } from './errors';
import type { EmitHubEvent, HubCoreEvents } from './hub-events';
import { HubMetrics } from './hub-metrics';
import type { Logger } from './logger';
import type { MetricMeter } from './metric-meter';
import { noopMeter } from './metric-meter';
import { DEFAULT_HUB_CORE_LIMITS } from './registration-limits';
import type { HubCoreLimits } from './registration-limits';
import { ResultRecorder, cancelledResult } from './result-recorder';
import { SessionAffinity } from './session-affinity';
import { listSessionsPage } from './session-listing';
import type { SessionListFilter, SessionsPage } from './session-listing';
import { SessionRegistry } from './session-registry';
import { toAssignment } from './submission';
import type { SubmitTaskInput } from './submission';
import { TaskEventBus } from './task-events';
import type { TaskEventListener } from './task-events';
import { listTasksPage, listWorkersPage, toAgent, toTask } from './task-listing';
import type { TaskListFilter, TasksPage, WorkersPage } from './task-listing';
import { TaskQueue } from './task-queue';
import { traceSubmit } from './tracing';
import type { TaskRecord, TaskStore } from './task-store';
import { WorkStreams } from './work-stream';
import type { WorkConnection } from './work-stream';
import { channelOf } from './worker-session';
import type { WorkerChannel } from './worker-session';

export type { HubCoreEvents } from './hub-events';
export type { SessionListFilter, SessionsPage } from './session-listing';
export type { TaskListFilter, TasksPage, WorkersPage } from './task-listing';
export { listedTask, toTask } from './task-listing';
export type { WorkConnection } from './work-stream';
export type { WorkerChannel } from './worker-session';

export interface HubCoreOptions {
  store: TaskStore;
  leaseMs: number;
  clock: Clock;
  logger: Logger;
  knownTools: readonly string[] | undefined;
  /** @default DEFAULT_HUB_CORE_LIMITS */
  limits?: Partial<HubCoreLimits>;
  /** Receives the `baaaht_hub_*` instruments (see hub-metrics.ts). @default noopMeter */
  metrics?: MetricMeter;
}

export interface SubmitOutcome {
  taskId: string;
  created: boolean;
  state: TaskState;
}

export interface CancelOutcome {
  taskId: string;
  state: TaskState;
  cancelled: boolean;
}

/**
 * The hub's brain, free of gRPC, composed of: the session registry (register, tokens, heartbeats,
 * TTL, leases), the task queue (the working set), the dispatcher (push with flow control), the Work
 * stream protocol, and the result recorder (ownership, exactly one result). Everything runs on the
 * event loop without awaits, so no two decisions interleave.
 *
 * State: `open` (accepting registrations, submissions, streams) or `closed` (final: no timers, no
 * dispatch, pending `result()` promises rejected with HUB_CLOSED).
 */
export class HubCore extends EventEmitter<HubCoreEvents> {
  private readonly store: TaskStore;
  private readonly limits: HubCoreLimits;
  private readonly metrics: HubMetrics;
  private readonly bus = new TaskEventBus();
  private readonly queue: TaskQueue;
  private readonly sessions: SessionRegistry;
  private readonly affinity: SessionAffinity;
  private readonly recorder: ResultRecorder;
  private readonly dispatcher: Dispatcher;
  private readonly streams: WorkStreams;
  private state: 'open' | 'closed' = 'open';

  constructor(private readonly options: HubCoreOptions) {
    super();
    const { clock, logger, leaseMs } = options;
    this.store = options.store;
    this.limits = { ...DEFAULT_HUB_CORE_LIMITS, ...options.limits };
    this.metrics = new HubMetrics(options.metrics ?? noopMeter);
    this.queue = new TaskQueue(this.store);
    const publish = (event: TaskEvent): void => this.bus.publish(event);
    // EventEmitter's generic signature does not accept a spread of a generic tuple; the types are the same.
    const emit = ((event: keyof HubCoreEvents, ...args: unknown[]) =>
      void (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args)) as EmitHubEvent;
    this.sessions = new SessionRegistry({
      store: this.store,
      clock,
      logger,
      leaseMs,
      limits: this.limits,
      hooks: {
        release: (session, reason, kind) => this.dispatcher.requeueAll(session, reason, kind),
        dropped: (session) => {
          this.emit('worker-unregistered', session.record.agentId);
          this.settle();
        },
        changed: () => this.settle(),
      },
    });
    this.affinity = new SessionAffinity({
      clock,
      logger,
      metrics: this.metrics,
      leaseMs,
      maxSessions: this.limits.maxSessions,
      closeTimeoutMs: this.limits.sessionCloseTimeoutMs,
      worker: (agentId) => this.sessions.get(agentId),
    });
    this.recorder = new ResultRecorder({
      store: this.store,
      queue: this.queue,
      clock,
      logger,
      metrics: this.metrics,
      publish,
      emit,
      workerName: (agentId) => this.sessions.get(agentId)?.record.name ?? '',
      annotate: (task, finished) => {
        const sessionId = task.assignment.sessionId;
        if (!sessionId) return finished;
        this.affinity.used(sessionId);
        return this.affinity.takeMoved(task.taskId) ? { ...finished, sessionMoved: true } : finished;
      },
    });
    this.dispatcher = new Dispatcher({
      queue: this.queue,
      recorder: this.recorder,
      clock,
      logger,
      metrics: this.metrics,
      leaseMs,
      affinity: this.affinity,
      sessions: () => this.sessions.values(),
      publish,
      emit,
    });
    this.streams = new WorkStreams({
      registry: this.sessions,
      queue: this.queue,
      dispatcher: this.dispatcher,
      recorder: this.recorder,
      affinity: this.affinity,
      clock,
      logger,
      publish,
      emit,
      isClosed: () => this.state === 'closed',
    });
    this.recover();
    this.observe();
  }

  /** Rebuilds the working set after a restart: queued tasks queue again, held tasks wait for their worker's lease. */
  private recover(): void {
    const now = this.options.clock.now();
    this.sessions.recover();
    for (const task of this.store.unfinishedTasks()) {
      const session = task.agentId ? this.sessions.get(task.agentId) : undefined;
      if (task.state !== TaskState.TASK_STATE_QUEUED && session) {
        this.queue.track(task);
        session.outstanding.add(task.taskId);
        // The worker still runs this call, so it holds the call's session (its hello will confirm).
        if (task.assignment.sessionId) this.affinity.recovered(task.assignment.sessionId, task.agentId, task.agentName);
      } else {
        this.queue.patch(task, { state: TaskState.TASK_STATE_QUEUED, agentId: '', agentName: '' });
        this.queue.enqueue(task, now);
      }
    }
    // A recovered session counts as connected before: it expires after a silent TTL, not at once.
    this.sessions.startRecovered();
    if (this.queue.size > 0) {
      this.options.logger.info('recovered tasks', {
        component: 'hub',
        tasks: this.queue.size,
        queued: this.queue.queued,
      });
    }
  }

  /** Dispatches, then updates the gauges. */
  private settle(): void {
    this.dispatcher.pump();
    this.observe();
  }

  private observe(): void {
    this.metrics.observe({ queued: this.queue.queued, running: this.queue.running }, this.sessions.values());
    this.metrics.observeSessions(this.affinity.counts());
  }

  // -------------------------------------------------------------------------
  // Workers

  register(req: RegisterRequest): RegisterResponse {
    this.assertOpen();
    const { session, resumed } = this.sessions.register(req);
    this.observe();
    const { agentId, token } = session.record;
    return { agentId, agent: toAgent(session), registrationToken: token, resumed };
  }

  /** Says goodbye for the worker that owns `token`; false for an unknown id. */
  unregister(agentId: string, token: string): boolean {
    return this.sessions.unregister(agentId, token);
  }

  heartbeat(req: HeartbeatRequest): HeartbeatResponse {
    const session = this.sessions.heartbeat(req);
    this.observe();
    return { timestamp: new Date(this.options.clock.now()), pendingTasks: [], reregister: session === undefined };
  }

  openWork(channel: WorkerChannel): WorkConnection {
    const connection = this.streams.open(channel);
    return {
      message: (message) => {
        connection.message(message);
        // Output and progress change no state; they are most of the traffic.
        const kind = message.payload?.$case;
        if (kind !== 'output' && kind !== 'progress') this.observe();
      },
      closed: () => {
        connection.closed();
        this.observe();
      },
    };
  }

  /** Hands queued tasks to workers with room; re-entrant calls fold into one more pass. */
  pump(): void {
    this.settle();
  }

  // -------------------------------------------------------------------------
  // Submitters

  submit(input: SubmitTaskInput): SubmitOutcome {
    this.assertOpen();
    const { assignment, selector } = toAssignment(input, this.options.knownTools);
    return traceSubmit(assignment, (span) => {
      const outcome = this.create(assignment, selector);
      span.created(outcome.created);
      return outcome;
    });
  }

  private create(assignment: TaskAssignment, selector: Record<string, string>): SubmitOutcome {
    const existing = this.queue.get(assignment.taskId) ?? this.store.getTask(assignment.taskId);
    if (existing) return { taskId: existing.taskId, created: false, state: existing.state };
    const now = this.options.clock.now();
    const record: TaskRecord = {
      taskId: assignment.taskId,
      assignment,
      selector,
      state: TaskState.TASK_STATE_QUEUED,
      agentId: '',
      agentName: '',
      attempts: 0,
      createdAt: now,
      cancelRequested: false,
    };
    if (!this.store.createTask(record)) {
      const raced = this.store.getTask(record.taskId);
      return { taskId: record.taskId, created: false, state: raced?.state ?? TaskState.TASK_STATE_QUEUED };
    }
    this.metrics.taskSubmitted(assignment.tool);
    this.queue.enqueue(record, now);
    this.settle();
    return { taskId: record.taskId, created: true, state: record.state };
  }

  cancel(taskId: string, force: boolean, reason = 'cancelled by request'): CancelOutcome {
    const task = this.queue.get(taskId);
    if (!task) {
      const stored = this.store.getTask(taskId);
      if (!stored) throw new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId });
      return { taskId, state: stored.state, cancelled: false };
    }
    if (task.state === TaskState.TASK_STATE_QUEUED) {
      this.queue.dequeue(taskId);
      this.recorder.complete(task, cancelledResult(task, reason), '');
      this.observe();
      return { taskId, state: TaskState.TASK_STATE_CANCELLED, cancelled: true };
    }
    this.queue.patch(task, { cancelRequested: true });
    const session = this.sessions.get(task.agentId);
    (session && channelOf(session))?.send({ payload: { $case: 'cancel', value: { taskId, reason, force } } });
    this.options.logger.info('cancel sent', { component: 'hub', taskId, agentId: task.agentId, force });
    return { taskId, state: task.state, cancelled: true };
  }

  /** The task and, once finished, its result; undefined for an unknown id. */
  getTask(taskId: string): Task | undefined {
    const record = this.queue.get(taskId) ?? this.store.getTask(taskId);
    return record && toTask(record);
  }

  /** Resolves with the task's result (at once if it already has one). */
  result(taskId: string): Promise<TaskFinished> {
    const record = this.queue.get(taskId) ?? this.store.getTask(taskId);
    if (!record) return Promise.reject(new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId }));
    if (record.finished) return Promise.resolve(record.finished);
    if (this.state === 'closed') return Promise.reject(new HubError('HUB_CLOSED', 'hub is closed', { taskId }));
    return this.recorder.wait(taskId);
  }

  subscribe(taskId: string, listener: TaskEventListener): () => void {
    return this.bus.subscribe(taskId, listener);
  }

  get subscriptions(): number {
    return this.bus.size;
  }

  listWorkers(): Agent[] {
    return [...this.sessions.values()].map(toAgent);
  }

  /** Live registrations; bounded by `maxRegistrations`. */
  get registrations(): number {
    return this.sessions.size;
  }

  /** One page of workers in agent-id order (see `listWorkersPage` in task-listing.ts). */
  listWorkersPage(pageSize: number, pageToken: string): WorkersPage {
    return listWorkersPage(this.sessions.byId, pageSize, pageToken, this.limits);
  }

  /** One page of tasks, newest first, without output or parameters (see `listTasksPage` in task-listing.ts). */
  listTasksPage(pageSize: number, pageToken: string, filter: TaskListFilter = {}): TasksPage {
    return listTasksPage(this.store, pageSize, pageToken, filter, this.limits);
  }

  // -------------------------------------------------------------------------
  // Sandbox sessions

  /** The sandbox sessions the hub routes calls to, in session-id order, with their holders. */
  listSessions(): SessionInfo[] {
    return this.affinity.list();
  }

  /** One page of sessions (see `listSessionsPage` in session-listing.ts). */
  listSessionsPage(pageSize: number, pageToken: string, filter: SessionListFilter = {}): SessionsPage {
    return listSessionsPage(this.affinity.list(), pageSize, pageToken, filter, this.limits);
  }

  /** Routes a close to the session's holder; resolves with what became of it (see `SessionAffinity.close`). */
  async closeSession(sessionId: string, reason?: string): Promise<CloseSessionResponse> {
    if (!sessionId) throw invalidField('session_id', 'is required');
    const outcome = await this.affinity.close(sessionId, reason);
    this.observe();
    return outcome;
  }

  /** Stops dispatching, ends every Work stream, fails pending result promises. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dispatcher.stop();
    this.affinity.closeAll();
    this.sessions.close();
    this.recorder.close();
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new HubError('HUB_CLOSED', 'hub is closed');
  }
}
