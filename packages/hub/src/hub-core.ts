import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  Agent,
  AgentCapabilities,
  AgentMetadata,
  AgentState,
  AgentType,
  Status,
  Task,
  TaskFinished,
  TaskState,
  isTerminalTaskState,
} from '@baaaht/proto';
import type {
  FlowUpdate,
  HeartbeatRequest,
  HeartbeatResponse,
  OrchestratorMessage,
  RegisterRequest,
  RegisterResponse,
  ResourceUsage,
  TaskEvent,
  TaskRejected,
  WorkHello,
  WorkerMessage,
} from '@baaaht/proto';
import type { HubClock } from './clock';
import { HubError, invalidField } from './errors';
import type { Logger } from './logger';
import { DEFAULT_HUB_CORE_LIMITS, checkRegistration } from './registration-limits';
import type { HubCoreLimits } from './registration-limits';
import { toAssignment } from './submission';
import type { SubmitTaskInput } from './submission';
import { TaskEventBus } from './task-events';
import type { TaskEventListener } from './task-events';
import type { AgentRecord, TaskCursor, TaskPatch, TaskRecord, TaskStore } from './task-store';

/** The hub's end of one worker's Work stream. */
export interface WorkerChannel {
  send(message: OrchestratorMessage): void;
  /** Ends the stream: cleanly without an error, else with the error's status (see grpc-status.ts). */
  close(error?: HubError): void;
}

/** What the gRPC layer calls for each message of one Work stream. */
export interface WorkConnection {
  message(message: WorkerMessage): void;
  closed(): void;
}

export interface HubCoreOptions {
  store: TaskStore;
  leaseMs: number;
  clock: HubClock;
  logger: Logger;
  knownTools: readonly string[] | undefined;
  /** @default DEFAULT_HUB_CORE_LIMITS */
  limits?: Partial<HubCoreLimits>;
}

/** One page of ListTasks. */
export interface TasksPage {
  /** Newest first, without output (see `listTasksPage`). */
  tasks: Task[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The filters of one ListTasks call; empty values match everything. */
export interface TaskListFilter {
  states?: readonly TaskState[];
  tool?: string;
  /** Agent id or registered name. */
  worker?: string;
}

/** One page of ListWorkers. */
export interface WorkersPage {
  workers: Agent[];
  /** Empty on the last page. */
  nextPageToken: string;
}

interface WorkerSession {
  record: AgentRecord;
  lastSeen: number;
  channel: WorkerChannel | undefined;
  connectedAt: number | undefined;
  maxSlots: number;
  draining: boolean;
  /** Rejected with NO_CAPACITY: skip until the worker says something again. */
  blocked: boolean;
  /** Tools the worker refused with UNKNOWN_TOOL despite advertising them. */
  refusedTools: Set<string>;
  /** Assigned to this worker and not finished. Never larger than maxSlots by our doing. */
  outstanding: Set<string>;
  activeTasks: string[];
  freeSlots: number;
  resources: ResourceUsage | undefined;
  leaseTimer: unknown;
  /** Whether a Work stream was ever opened (or the session was recovered from the store). */
  everConnected: boolean;
  /** Drops the registration once it expires (see HubCoreLimits.registrationTtlMs). */
  expiryTimer: unknown;
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

/** Hub-level events, for hosts and test fixtures. */
export interface HubCoreEvents {
  'task-finished': [taskId: string, finished: TaskFinished, agentId: string];
  'task-requeued': [taskId: string, reason: string, attempt: number];
  'worker-connected': [agentId: string];
  'worker-disconnected': [agentId: string];
  'worker-unregistered': [agentId: string];
}

/** Constant-time: both sides are hashed to 32 bytes first, so neither length nor content leaks through timing. */
function tokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && expected !== '';
}

const badCredential = (agentId: string): HubError =>
  new HubError('UNAUTHENTICATED', 'missing or wrong worker token for this agent id', { agentId });

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/**
 * The hub's brain, free of gRPC: worker sessions, the queue, push dispatch
 * with flow control, leases, dedup and cancellation. Everything runs on the
 * event loop without awaits, so no two decisions interleave.
 */
export class HubCore extends EventEmitter<HubCoreEvents> {
  private readonly store: TaskStore;
  private readonly sessions = new Map<string, WorkerSession>();
  /** Unfinished tasks, the working set; the store has the same data durably. */
  private readonly live = new Map<string, TaskRecord>();
  /** Queued task ids in dispatch order. */
  private queue: string[] = [];
  private readonly bus = new TaskEventBus();
  private readonly waiters = new Map<string, { resolve(f: TaskFinished): void; reject(e: Error): void }[]>();
  /** Queued task id -> the worker it was taken from, which may reclaim it on hello while nobody else has it. */
  private readonly releasedBy = new Map<string, string>();
  private readonly limits: HubCoreLimits;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;

  constructor(private readonly options: HubCoreOptions) {
    super();
    this.store = options.store;
    this.limits = { ...DEFAULT_HUB_CORE_LIMITS, ...options.limits };
    this.recover();
  }

  // -------------------------------------------------------------------------
  // Recovery

  /** Rebuilds the working set after a restart: queued tasks queue again, held tasks wait for their worker's lease. */
  private recover(): void {
    const now = this.options.clock.now();
    for (const record of this.store.listAgents()) this.sessions.set(record.agentId, this.newSession(record, now));
    for (const task of this.store.unfinishedTasks()) {
      this.live.set(task.taskId, task);
      const session = task.agentId ? this.sessions.get(task.agentId) : undefined;
      if (task.state !== TaskState.TASK_STATE_QUEUED && session) {
        session.outstanding.add(task.taskId);
      } else {
        this.patch(task, { state: TaskState.TASK_STATE_QUEUED, agentId: '', agentName: '' });
        this.queue.push(task.taskId);
      }
    }
    for (const session of this.sessions.values()) {
      if (session.outstanding.size > 0) this.scheduleLease(session);
      // A recovered session counts as connected before: it expires after a silent TTL, not at once.
      session.everConnected = true;
      this.scheduleExpiry(session);
    }
    if (this.live.size > 0) {
      this.options.logger.info('recovered tasks', {
        component: 'hub',
        tasks: this.live.size,
        queued: this.queue.length,
      });
    }
  }

  private newSession(record: AgentRecord, now: number): WorkerSession {
    return {
      record,
      lastSeen: now,
      channel: undefined,
      connectedAt: undefined,
      maxSlots: Math.max(0, record.capabilities.maxConcurrentTasks),
      draining: false,
      blocked: false,
      refusedTools: new Set(),
      outstanding: new Set(),
      activeTasks: [],
      freeSlots: 0,
      resources: undefined,
      leaseTimer: undefined,
      everConnected: false,
      expiryTimer: undefined,
    };
  }

  // -------------------------------------------------------------------------
  // Registration and heartbeats

  register(req: RegisterRequest): RegisterResponse {
    this.assertOpen();
    if (!req.name) throw invalidField('name', 'is required');
    const metadata = AgentMetadata.fromPartial(req.metadata ?? {});
    const capabilities = AgentCapabilities.fromPartial(req.capabilities ?? {});
    checkRegistration(req.name, metadata, capabilities, this.limits);
    const now = this.options.clock.now();
    const previous = req.resumeAgentId ? this.sessions.get(req.resumeAgentId) : undefined;
    if (previous && tokenMatches(previous.record.token, req.resumeToken)) {
      previous.record = { ...previous.record, name: req.name, metadata, capabilities };
      previous.lastSeen = now;
      previous.refusedTools.clear();
      this.store.saveAgent(previous.record);
      this.options.logger.info('worker resumed', { component: 'hub', agentId: previous.record.agentId });
      return {
        agentId: previous.record.agentId,
        agent: this.toAgent(previous),
        registrationToken: previous.record.token,
        resumed: true,
      };
    }
    if (this.sessions.size >= this.limits.maxRegistrations) {
      this.options.logger.warn('registration refused: hub is full', {
        component: 'hub',
        registrations: this.sessions.size,
      });
      throw new HubError(
        'RESOURCE_EXHAUSTED',
        `registrations: at most ${this.limits.maxRegistrations} live workers, and the hub holds that many`,
      );
    }
    const record: AgentRecord = {
      agentId: randomUUID(),
      token: randomBytes(24).toString('base64url'),
      name: req.name,
      registeredAt: now,
      metadata,
      capabilities,
    };
    this.store.saveAgent(record);
    const session = this.newSession(record, now);
    this.sessions.set(record.agentId, session);
    this.scheduleExpiry(session);
    this.options.logger.info('worker registered', { component: 'hub', agentId: record.agentId, name: req.name });
    return { agentId: record.agentId, agent: this.toAgent(session), registrationToken: record.token, resumed: false };
  }

  /**
   * The session of `agentId` if `token` is its registration token; undefined for an id the hub does not
   * know; UNAUTHENTICATED for a known id with a missing or wrong token (and nothing changes).
   */
  private authenticate(agentId: string, token: string): WorkerSession | undefined {
    const session = this.sessions.get(agentId);
    if (!session) return undefined;
    if (!tokenMatches(session.record.token, token)) {
      this.options.logger.warn('worker call with a bad token', { component: 'hub', agentId });
      throw badCredential(agentId);
    }
    return session;
  }

  /** Says goodbye for the worker that owns `token`; false for an unknown id. */
  unregister(agentId: string, token: string): boolean {
    const session = this.authenticate(agentId, token);
    if (!session) return false;
    this.drop(session, 'worker unregistered');
    return true;
  }

  private drop(session: WorkerSession, reason: string): void {
    const { agentId } = session.record;
    this.sessions.delete(agentId);
    this.store.deleteAgent(agentId);
    if (session.leaseTimer !== undefined) this.options.clock.clearTimeout(session.leaseTimer);
    if (session.expiryTimer !== undefined) this.options.clock.clearTimeout(session.expiryTimer);
    for (const taskId of [...session.outstanding]) this.requeue(taskId, session, reason);
    session.channel?.close();
    session.channel = undefined;
    this.options.logger.info(reason, { component: 'hub', agentId });
    this.emit('worker-unregistered', agentId);
    this.pump();
  }

  heartbeat(req: HeartbeatRequest): HeartbeatResponse {
    const session = this.authenticate(req.agentId, req.token);
    if (!session) return { timestamp: new Date(this.options.clock.now()), pendingTasks: [], reregister: true };
    this.touch(session);
    session.activeTasks = req.activeTasks.slice(0, this.limits.maxListEntries);
    session.freeSlots = req.freeSlots;
    session.resources = req.resources;
    // Draining is the worker's own state: its authenticated heartbeat both sets and clears it.
    session.draining = req.draining;
    return { timestamp: new Date(this.options.clock.now()), pendingTasks: [], reregister: false };
  }

  /**
   * Drops a registration that never opened its Work stream `registrationTtlMs` after Register, and one
   * whose stream closed once it holds no task and has been silent that long.
   */
  private scheduleExpiry(session: WorkerSession): void {
    // A stream closed by close() itself must not start a timer that outlives the hub (and its store).
    if (this.closed) return;
    const { clock } = this.options;
    const ttl = this.limits.registrationTtlMs;
    if (session.expiryTimer !== undefined) clock.clearTimeout(session.expiryTimer);
    const since = (): number => (session.everConnected ? session.lastSeen : session.record.registeredAt);
    const due = session.outstanding.size > 0 ? ttl : Math.max(0, since() + ttl - clock.now());
    session.expiryTimer = clock.setTimeout(() => {
      session.expiryTimer = undefined;
      if (this.closed || session.channel || this.sessions.get(session.record.agentId) !== session) return;
      if (session.outstanding.size > 0 || clock.now() - since() < ttl) return this.scheduleExpiry(session);
      this.drop(session, session.everConnected ? 'registration expired' : 'registration expired without a Work stream');
    }, due);
  }

  /** Any sign of life renews the leases of the worker's tasks. */
  private touch(session: WorkerSession): void {
    session.lastSeen = this.options.clock.now();
    if (!session.channel && session.outstanding.size > 0) this.scheduleLease(session);
  }

  private scheduleLease(session: WorkerSession): void {
    if (this.closed) return;
    const { clock, leaseMs } = this.options;
    if (session.leaseTimer !== undefined) clock.clearTimeout(session.leaseTimer);
    const due = Math.max(0, session.lastSeen + leaseMs - clock.now());
    session.leaseTimer = clock.setTimeout(() => {
      session.leaseTimer = undefined;
      if (this.closed || session.channel || this.sessions.get(session.record.agentId) !== session) return;
      if (clock.now() - session.lastSeen < leaseMs) return this.scheduleLease(session);
      this.options.logger.warn('worker lease expired', {
        component: 'hub',
        agentId: session.record.agentId,
        tasks: session.outstanding.size,
      });
      for (const taskId of [...session.outstanding]) this.requeue(taskId, session, 'lease expired');
      this.pump();
    }, due);
  }

  // -------------------------------------------------------------------------
  // The Work stream

  openWork(channel: WorkerChannel): WorkConnection {
    let session: WorkerSession | undefined;
    let failed = false;
    const fail = (error: HubError): void => {
      failed = true;
      channel.close(error);
    };
    return {
      message: (message) => {
        if (failed) return;
        const payload = message.payload;
        if (!session) {
          if (payload?.$case !== 'hello') return fail(invalidField('hello', 'must be the first message'));
          const found = this.sessions.get(payload.value.agentId);
          if (!found || !tokenMatches(found.record.token, payload.value.token)) {
            this.options.logger.warn('hello with an unknown agent id or bad token', {
              component: 'hub',
              agentId: payload.value.agentId,
            });
            return fail(new HubError('UNAUTHENTICATED', 'hello: unknown agent id or bad token'));
          }
          if (this.closed) return fail(new HubError('HUB_CLOSED', 'hub is closing'));
          session = found;
          this.onHello(session, channel, payload.value);
          return;
        }
        if (session.channel !== channel) return;
        this.touch(session);
        try {
          this.onWorkerMessage(session, channel, message);
        } catch (err) {
          const error = HubError.fromUnknown(err, { agentId: session.record.agentId });
          this.options.logger.error('work message failed', {
            component: 'hub',
            error: error.message,
            code: error.code,
          });
        }
      },
      closed: () => {
        if (!session || session.channel !== channel) return;
        session.channel = undefined;
        session.connectedAt = undefined;
        session.lastSeen = this.options.clock.now();
        this.options.logger.info('worker disconnected', { component: 'hub', agentId: session.record.agentId });
        this.emit('worker-disconnected', session.record.agentId);
        if (session.outstanding.size > 0) this.scheduleLease(session);
        this.scheduleExpiry(session);
      },
    };
  }

  private onHello(session: WorkerSession, channel: WorkerChannel, hello: WorkHello): void {
    const { agentId } = session.record;
    const old = session.channel;
    session.channel = channel;
    if (old) old.close(new HubError('SUPERSEDED', 'replaced by a newer Work stream', { agentId }));
    if (session.leaseTimer !== undefined) this.options.clock.clearTimeout(session.leaseTimer);
    session.leaseTimer = undefined;
    if (session.expiryTimer !== undefined) this.options.clock.clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    session.everConnected = true;
    session.connectedAt = this.options.clock.now();
    session.lastSeen = session.connectedAt;
    session.maxSlots = Math.max(0, hello.maxSlots);
    session.freeSlots = hello.freeSlots;
    session.draining = hello.draining;
    session.blocked = false;
    const expected = [...session.outstanding];
    channel.send({ payload: { $case: 'welcome', value: { agentId, expectedTaskIds: expected } } });

    const held = new Set(hello.runningTaskIds);
    for (const taskId of held) {
      const task = this.live.get(taskId);
      if (task && task.agentId === agentId && task.state !== TaskState.TASK_STATE_QUEUED) {
        session.outstanding.add(taskId);
        if (task.cancelRequested)
          channel.send({ payload: { $case: 'cancel', value: { taskId, reason: 'cancelled', force: true } } });
      } else if (task && task.state === TaskState.TASK_STATE_QUEUED && this.releasedBy.get(taskId) === agentId) {
        // Re-queued while the worker was away but nobody took it yet: let the worker that runs it keep it.
        // Only the worker it was taken from may: announcing someone else's queued task claims nothing.
        this.releasedBy.delete(taskId);
        this.queue = this.queue.filter((id) => id !== taskId);
        this.patch(task, { state: TaskState.TASK_STATE_RUNNING, agentId, agentName: session.record.name });
        session.outstanding.add(taskId);
      } else {
        // Reassigned elsewhere or already finished: stop the duplicate; its late result will be ignored.
        channel.send({ payload: { $case: 'cancel', value: { taskId, reason: 'task was reassigned', force: true } } });
      }
    }
    for (const taskId of expected) {
      if (!held.has(taskId)) this.requeue(taskId, session, 'worker no longer holds the task');
    }
    this.options.logger.info('worker connected', {
      component: 'hub',
      agentId,
      slots: session.maxSlots,
      held: held.size,
    });
    this.emit('worker-connected', agentId);
    this.pump();
  }

  private onWorkerMessage(session: WorkerSession, channel: WorkerChannel, message: WorkerMessage): void {
    const payload = message.payload;
    if (!payload) return;
    switch (payload.$case) {
      case 'hello':
        return;
      case 'accepted': {
        const task = this.ownedBy(session, payload.value.taskId, payload.value.attempt, 'accepted');
        if (!task) return;
        if (task.state === TaskState.TASK_STATE_ASSIGNED) {
          this.patch(task, { state: TaskState.TASK_STATE_RUNNING, startedAt: this.options.clock.now() });
        }
        this.publish({ taskId: task.taskId, payload: { $case: 'accepted', value: payload.value } });
        return;
      }
      case 'output':
        if (this.ownedBy(session, payload.value.taskId, 0, 'output')) {
          this.publish({ taskId: payload.value.taskId, payload: { $case: 'output', value: payload.value } });
        }
        return;
      case 'progress':
        if (this.ownedBy(session, payload.value.taskId, 0, 'progress')) {
          this.publish({ taskId: payload.value.taskId, payload: { $case: 'progress', value: payload.value } });
        }
        return;
      case 'finished':
        this.onFinished(session, channel, payload.value);
        return;
      case 'rejected':
        this.onRejected(session, payload.value);
        return;
      case 'flow':
        this.onFlow(session, payload.value);
        return;
    }
  }

  private heldBy(taskId: string, agentId: string): TaskRecord | undefined {
    const task = this.live.get(taskId);
    return task && task.agentId === agentId ? task : undefined;
  }

  /**
   * The task if it is assigned to this worker now (and `attempt`, when the message carries one, is its
   * current attempt); otherwise undefined, logged: a report about somebody else's task is never recorded.
   */
  private ownedBy(session: WorkerSession, taskId: string, attempt: number, kind: string): TaskRecord | undefined {
    const agentId = session.record.agentId;
    const task = this.live.get(taskId);
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

  private onFinished(session: WorkerSession, channel: WorkerChannel, finished: TaskFinished): void {
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
    } else if (this.live.get(taskId)?.agentId !== agentId) {
      session.outstanding.delete(taskId);
    }
    session.blocked = false;
    // Recorded durably above; only now may the worker forget it.
    channel.send({ payload: { $case: 'ack', value: { taskId } } });
    this.pump();
  }

  private onRejected(session: WorkerSession, rejected: TaskRejected): void {
    const agentId = session.record.agentId;
    const task = this.heldBy(rejected.taskId, agentId);
    if (!task) return;
    if (rejected.code === 'DRAINING') session.draining = true;
    else if (rejected.code === 'UNKNOWN_TOOL') session.refusedTools.add(task.assignment.tool);
    else if (rejected.code === 'NO_CAPACITY') session.blocked = true;
    if (rejected.code === 'INVALID_ASSIGNMENT') {
      this.complete(
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
      this.requeue(task.taskId, session, `rejected: ${rejected.code}`);
    }
    this.pump();
  }

  private onFlow(session: WorkerSession, flow: FlowUpdate): void {
    if (flow.maxSlots > 0) session.maxSlots = flow.maxSlots;
    session.freeSlots = flow.freeSlots;
    session.draining = flow.draining;
    session.blocked = false;
    this.pump();
  }

  // -------------------------------------------------------------------------
  // Dispatch

  /** Hands queued tasks to workers with room; re-entrant calls fold into one more pass. */
  pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    if (this.queue.length === 0) return;
    const candidates = [...this.sessions.values()].filter((s) => this.hasRoom(s));
    if (candidates.length === 0) return;
    const remaining: string[] = [];
    for (let i = 0; i < this.queue.length; i++) {
      const taskId = this.queue[i] as string;
      const task = this.live.get(taskId);
      if (!task || task.state !== TaskState.TASK_STATE_QUEUED) continue;
      const worker = this.pickWorker(task, candidates);
      if (!worker) {
        remaining.push(taskId);
        continue;
      }
      this.assign(task, worker);
      if (!candidates.some((s) => this.hasRoom(s))) {
        remaining.push(...this.queue.slice(i + 1));
        break;
      }
    }
    this.queue = remaining;
  }

  private hasRoom(session: WorkerSession): boolean {
    return (
      session.channel !== undefined &&
      !session.draining &&
      !session.blocked &&
      session.outstanding.size < session.maxSlots
    );
  }

  private pickWorker(task: TaskRecord, candidates: WorkerSession[]): WorkerSession | undefined {
    let best: WorkerSession | undefined;
    let bestFree = 0;
    for (const session of candidates) {
      if (!this.hasRoom(session)) continue;
      const tools = session.record.capabilities.supportedTools;
      const tool = task.assignment.tool;
      if ((tools.length > 0 && !tools.includes(tool)) || session.refusedTools.has(tool)) continue;
      if (!labelsMatch(task.selector, session.record.metadata.labels)) continue;
      const free = session.maxSlots - session.outstanding.size;
      if (free > bestFree) {
        best = session;
        bestFree = free;
      }
    }
    return best;
  }

  private assign(task: TaskRecord, session: WorkerSession): void {
    const agentId = session.record.agentId;
    const attempts = task.attempts + 1;
    this.patch(task, { state: TaskState.TASK_STATE_ASSIGNED, agentId, agentName: session.record.name, attempts });
    this.releasedBy.delete(task.taskId);
    session.outstanding.add(task.taskId);
    this.publish({ taskId: task.taskId, payload: { $case: 'assigned', value: { agentId, attempt: attempts } } });
    this.options.logger.debug('task assigned', { component: 'hub', taskId: task.taskId, agentId, attempt: attempts });
    session.channel?.send({
      payload: { $case: 'assign', value: { ...task.assignment, attempt: attempts, leaseMs: this.options.leaseMs } },
    });
  }

  private requeue(taskId: string, from: WorkerSession, reason: string): void {
    from.outstanding.delete(taskId);
    const task = this.live.get(taskId);
    if (!task || task.agentId !== from.record.agentId) return;
    if (task.cancelRequested) {
      this.complete(task, cancelledResult(task, `cancelled (${reason})`), from.record.agentId);
      return;
    }
    this.patch(task, { state: TaskState.TASK_STATE_QUEUED, agentId: '', agentName: '' });
    this.releasedBy.set(taskId, from.record.agentId);
    this.queue.unshift(taskId);
    this.options.logger.info('task requeued', { component: 'hub', taskId, reason, attempt: task.attempts });
    this.publish({ taskId, payload: { $case: 'requeued', value: { reason, attempt: task.attempts } } });
    this.emit('task-requeued', taskId, reason, task.attempts);
  }

  /** Records the first terminal result durably, then tells everybody. */
  private complete(task: TaskRecord, finished: TaskFinished, agentId: string): void {
    const now = this.options.clock.now();
    if (agentId && task.agentId !== agentId) {
      this.patch(task, { agentId, agentName: this.sessions.get(agentId)?.record.name ?? '' });
    }
    const recorded = this.store.finishTask(task.taskId, finished, now);
    this.live.delete(task.taskId);
    this.releasedBy.delete(task.taskId);
    if (!recorded) return;
    this.publish({ taskId: task.taskId, payload: { $case: 'finished', value: finished } });
    for (const waiter of this.waiters.get(task.taskId) ?? []) waiter.resolve(finished);
    this.waiters.delete(task.taskId);
    this.emit('task-finished', task.taskId, finished, agentId);
  }

  private patch(task: TaskRecord, patch: TaskPatch): void {
    Object.assign(task, patch);
    this.store.updateTask(task.taskId, patch);
  }

  private publish(event: TaskEvent): void {
    this.bus.publish(event);
  }

  // -------------------------------------------------------------------------
  // Submitters

  submit(input: SubmitTaskInput): SubmitOutcome {
    this.assertOpen();
    const { assignment, selector } = toAssignment(input, this.options.knownTools);
    const existing = this.live.get(assignment.taskId) ?? this.store.getTask(assignment.taskId);
    if (existing) return { taskId: existing.taskId, created: false, state: existing.state };
    const record: TaskRecord = {
      taskId: assignment.taskId,
      assignment,
      selector,
      state: TaskState.TASK_STATE_QUEUED,
      agentId: '',
      agentName: '',
      attempts: 0,
      createdAt: this.options.clock.now(),
      cancelRequested: false,
    };
    if (!this.store.createTask(record)) {
      const raced = this.store.getTask(record.taskId);
      return { taskId: record.taskId, created: false, state: raced?.state ?? TaskState.TASK_STATE_QUEUED };
    }
    this.live.set(record.taskId, record);
    this.queue.push(record.taskId);
    this.pump();
    return { taskId: record.taskId, created: true, state: record.state };
  }

  cancel(taskId: string, force: boolean, reason = 'cancelled by request'): CancelOutcome {
    const task = this.live.get(taskId);
    if (!task) {
      const stored = this.store.getTask(taskId);
      if (!stored) throw new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId });
      return { taskId, state: stored.state, cancelled: false };
    }
    if (task.state === TaskState.TASK_STATE_QUEUED) {
      this.queue = this.queue.filter((id) => id !== taskId);
      this.complete(task, cancelledResult(task, reason), '');
      return { taskId, state: TaskState.TASK_STATE_CANCELLED, cancelled: true };
    }
    this.patch(task, { cancelRequested: true });
    const session = this.sessions.get(task.agentId);
    session?.channel?.send({ payload: { $case: 'cancel', value: { taskId, reason, force } } });
    this.options.logger.info('cancel sent', { component: 'hub', taskId, agentId: task.agentId, force });
    return { taskId, state: task.state, cancelled: true };
  }

  /** The task and, once finished, its result; undefined for an unknown id. */
  getTask(taskId: string): Task | undefined {
    const record = this.live.get(taskId) ?? this.store.getTask(taskId);
    return record && toTask(record);
  }

  /** Resolves with the task's result (at once if it already has one). */
  result(taskId: string): Promise<TaskFinished> {
    const record = this.live.get(taskId) ?? this.store.getTask(taskId);
    if (!record) return Promise.reject(new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId }));
    if (record.finished) return Promise.resolve(record.finished);
    if (this.closed) return Promise.reject(new HubError('HUB_CLOSED', 'hub is closed', { taskId }));
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(taskId) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(taskId, list);
    });
  }

  subscribe(taskId: string, listener: TaskEventListener): () => void {
    return this.bus.subscribe(taskId, listener);
  }

  get subscriptions(): number {
    return this.bus.size;
  }

  listWorkers(): Agent[] {
    return [...this.sessions.values()].map((s) => this.toAgent(s));
  }

  /** Live registrations; bounded by `maxRegistrations`. */
  get registrations(): number {
    return this.sessions.size;
  }

  /**
   * One page of workers in agent-id order. `pageSize` 0 means the cap; larger values are capped; a page
   * also stops before `listWorkersPageBytes` encoded bytes (always holding at least one worker).
   */
  listWorkersPage(pageSize: number, pageToken: string): WorkersPage {
    if (!Number.isInteger(pageSize) || pageSize < 0) throw invalidField('page_size', `must be >= 0, got ${pageSize}`);
    const cap = this.limits.maxListWorkersPageSize;
    const size = pageSize === 0 ? cap : Math.min(pageSize, cap);
    let after = '';
    if (pageToken !== '') {
      after = Buffer.from(pageToken, 'base64url').toString('utf8');
      if (after === '' || Buffer.from(after, 'utf8').toString('base64url') !== pageToken) {
        throw invalidField('page_token', 'is not a token this hub issued');
      }
    }
    const ids = [...this.sessions.keys()].filter((id) => id > after).sort();
    const workers: Agent[] = [];
    let bytes = 0;
    for (const id of ids) {
      if (workers.length >= size) break;
      const agent = this.toAgent(this.sessions.get(id) as WorkerSession);
      const encoded = Agent.encode(agent).finish().length + 8;
      if (workers.length > 0 && bytes + encoded > this.limits.listWorkersPageBytes) break;
      workers.push(agent);
      bytes += encoded;
    }
    const last = workers[workers.length - 1];
    const more = last !== undefined && ids.length > workers.length;
    return { workers, nextPageToken: more ? Buffer.from(last.id, 'utf8').toString('base64url') : '' };
  }

  /**
   * One page of tasks, newest first, matching `filter`. `pageSize` 0 means the cap; larger values are
   * capped; a page also stops before `listTasksPageBytes` encoded bytes (always holding at least one task).
   * Listed tasks carry no output and no parameters (`listedTask`); `getTask` has everything.
   */
  listTasksPage(pageSize: number, pageToken: string, filter: TaskListFilter = {}): TasksPage {
    if (!Number.isInteger(pageSize) || pageSize < 0) throw invalidField('page_size', `must be >= 0, got ${pageSize}`);
    const cap = this.limits.maxListTasksPageSize;
    const size = pageSize === 0 ? cap : Math.min(pageSize, cap);
    const after = pageToken === '' ? undefined : decodeTaskCursor(pageToken);
    const records = this.store.listTasks({
      ...(filter.states !== undefined ? { states: filter.states } : {}),
      ...(filter.tool ? { tool: filter.tool } : {}),
      ...(filter.worker ? { worker: filter.worker } : {}),
      ...(after !== undefined ? { after } : {}),
      limit: size + 1,
    });
    const tasks: Task[] = [];
    let bytes = 0;
    let last: TaskRecord | undefined;
    for (const record of records) {
      if (tasks.length >= size) break;
      const task = listedTask(record);
      const encoded = Task.encode(task).finish().length + 8;
      if (tasks.length > 0 && bytes + encoded > this.limits.listTasksPageBytes) break;
      tasks.push(task);
      bytes += encoded;
      last = record;
    }
    const more = last !== undefined && records.length > tasks.length;
    return { tasks, nextPageToken: more ? encodeTaskCursor(last as TaskRecord) : '' };
  }

  /** Stops dispatching, ends every Work stream, fails pending result promises. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.sessions.values()) {
      if (session.leaseTimer !== undefined) this.options.clock.clearTimeout(session.leaseTimer);
      if (session.expiryTimer !== undefined) this.options.clock.clearTimeout(session.expiryTimer);
      session.channel?.close(new HubError('HUB_CLOSED', 'hub is shutting down'));
      session.channel = undefined;
    }
    for (const [taskId, list] of this.waiters) {
      for (const waiter of list)
        waiter.reject(new HubError('HUB_CLOSED', 'hub closed before the task finished', { taskId }));
    }
    this.waiters.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError('HUB_CLOSED', 'hub is closed');
  }

  private toAgent(session: WorkerSession): Agent {
    const { record } = session;
    return Agent.fromPartial({
      id: record.agentId,
      name: record.name,
      type: AgentType.AGENT_TYPE_WORKER,
      state: session.outstanding.size > 0 ? AgentState.AGENT_STATE_BUSY : AgentState.AGENT_STATE_IDLE,
      status: session.channel ? Status.STATUS_RUNNING : Status.STATUS_UNKNOWN,
      registeredAt: new Date(record.registeredAt),
      lastHeartbeat: new Date(session.lastSeen),
      metadata: record.metadata,
      capabilities: record.capabilities,
      resources: session.resources,
      activeTasks: [...session.outstanding],
      freeSlots: Math.max(0, session.maxSlots - session.outstanding.size),
      draining: session.draining,
      connected: session.channel !== undefined,
    });
  }
}

function cancelledResult(task: TaskRecord, reason: string): TaskFinished {
  return TaskFinished.fromPartial({
    taskId: task.taskId,
    state: TaskState.TASK_STATE_CANCELLED,
    exitCode: -1,
    attempt: task.attempts,
    finishedAt: new Date(),
    error: { code: 'CANCELLED', message: reason },
  });
}

/** A page token is the last listed task's position: opaque to clients, checked when it comes back. */
function encodeTaskCursor(record: TaskRecord): string {
  return Buffer.from(JSON.stringify([record.createdAt, record.taskId]), 'utf8').toString('base64url');
}

function decodeTaskCursor(token: string): TaskCursor {
  const bad = (): HubError => invalidField('page_token', 'is not a token this hub issued');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [createdAt, taskId] = parsed as unknown[];
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt) || typeof taskId !== 'string') throw bad();
  return { createdAt, taskId };
}

/** The listing view of a task: what, where and how it went, without output or parameters to keep pages small. */
export function listedTask(record: TaskRecord): Task {
  const task = toTask(record);
  task.result = undefined;
  if (task.assignment) task.assignment = { ...task.assignment, params: undefined, args: [] };
  if (task.finished) {
    task.finished = { ...task.finished, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), structuredJson: '' };
  }
  return task;
}

/** The wire view of a stored task. */
export function toTask(record: TaskRecord): Task {
  const a = record.assignment;
  return Task.fromPartial({
    id: record.taskId,
    name: a.tool,
    sessionId: a.sessionId,
    state: record.state,
    createdAt: new Date(record.createdAt),
    startedAt: record.startedAt === undefined ? undefined : new Date(record.startedAt),
    completedAt: record.completedAt === undefined ? undefined : new Date(record.completedAt),
    agentId: record.agentId,
    agentName: record.agentName,
    assignment: a,
    finished: record.finished,
    error: record.finished?.error,
    attempts: record.attempts,
    result: record.finished
      ? {
          exitCode: record.finished.exitCode,
          outputText: Buffer.from(record.finished.stdout).toString('utf8'),
          errorText: Buffer.from(record.finished.stderr).toString('utf8'),
          executionDurationNs: record.finished.durationMs * 1_000_000,
        }
      : undefined,
  });
}
