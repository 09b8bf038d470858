import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import {
  AgentType,
  OutputStream,
  PROTOCOL_VERSION,
  RegisterRequest,
  TaskFinished,
  taskStateFromStatus,
} from '@baaaht/proto';
import type {
  AgentServiceClient,
  HeartbeatResponse,
  OrchestratorMessage,
  RegisterResponse,
  TaskAssignment,
  TaskCancel,
  UnregisterResponse,
  WorkerMessage,
} from '@baaaht/proto';
import { resolveAgentOptions } from './agent-options';
import type { AgentOptions, ResolvedAgentOptions } from './agent-options';
import { Backoff } from './backoff';
import { diagnoseDial } from './dial-diagnosis';
import { callMetadata, createAgentServiceClient, dialOnce } from './channel';
import { sleep } from './clock';
import { canTransition } from './connection-state';
import type { ConnectionState } from './connection-state';
import { AgentError, grpcCodeOf } from './errors';
import { ProcessUsageSampler } from './resource-usage';
import type { AgentTask, TaskHandlerEvent, TaskOutcome } from './task-handler';
import { toAgentTask } from './to-agent-task';

/** Point-in-time figures for the worker CLI's status endpoint. */
export interface AgentMetrics {
  state: ConnectionState;
  agentId: string | undefined;
  /** Epoch ms of the current connection's welcome; undefined while disconnected. */
  connectedSince: number | undefined;
  tasks: { running: number; completed: number; failed: number };
  /** Successful connections after the first one. */
  reconnects: number;
  /** Epoch ms of the last heartbeat the hub answered. */
  lastHeartbeatAt: number | undefined;
  /** Outcomes reported but not yet acknowledged by the hub. */
  unacknowledged: number;
  draining: boolean;
}

export interface DrainOptions {
  /** How long running tasks may take before they are cancelled. @default shutdownTimeoutMs */
  timeoutMs?: number;
}

export interface CloseOptions {
  /** Kill running tasks at once instead of stopping them gracefully. @default false */
  force?: boolean;
}

interface RunningTask {
  task: AgentTask;
  controller: AbortController;
  startedAt: Date;
  containerId: string;
  offsets: { stdout: number; stderr: number };
  done: Promise<void>;
  /** Set when the handler never returned and the agent had to report on its behalf. */
  abandoned: boolean;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The worker side of the protocol: registers with the hub, keeps one Work
 * stream open, runs pushed assignments on the injected handler, and reports
 * every outcome until the hub acknowledges it, across reconnects.
 *
 * Events: `state` (next, prev), `registered` (agentId, resumed),
 * `task-finished` (taskId, outcome), `error` (AgentError; only emitted when
 * somebody listens, so a library never crashes its host).
 */
export class Agent extends EventEmitter {
  private readonly options: ResolvedAgentOptions;
  private readonly backoff: Backoff;
  private readonly usage = new ProcessUsageSampler();
  private readonly running = new Map<string, RunningTask>();
  /** Finished reports the hub has not acknowledged yet, in report order. */
  private readonly outbox = new Map<string, TaskFinished>();
  private readonly ackWaiters = new Set<() => void>();
  private readonly readyWaiters: Waiter[] = [];
  private readonly loopAbort = new AbortController();
  private currentState: ConnectionState = 'Idle';
  /** The hub's id for us and the secret token that proves it on Heartbeat, Unregister and Work hello. */
  private session: { agentId: string; token: string } | undefined;
  private client: AgentServiceClient | undefined;
  private stream: ClientDuplexStream<WorkerMessage, OrchestratorMessage> | undefined;
  private heartbeatTimer: unknown;
  private draining = false;
  private stopping = false;
  /** Set just before Unregister: the hub will end our stream and we must not register again. */
  private leaving = false;
  private closing: Promise<void> | undefined;
  private everReady = false;
  private counters = { completed: 0, failed: 0, reconnects: 0 };
  private connectedSince: number | undefined;
  private lastHeartbeatAt: number | undefined;
  private shutdownError: AgentError | undefined;
  private readonly shutdownWaiters: Waiter[] = [];

  private constructor(options: AgentOptions) {
    super();
    this.options = resolveAgentOptions(options);
    this.backoff = new Backoff({
      initialMs: this.options.reconnectIntervalMs,
      maxMs: this.options.reconnectMaxIntervalMs,
      maxAttempts: this.options.reconnectMaxAttempts,
      jitter: this.options.reconnectJitter,
      random: this.options.random,
    });
  }

  static create(options: AgentOptions): Agent {
    return new Agent(options);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  getAgentId(): string | undefined {
    return this.session?.agentId;
  }

  metrics(): AgentMetrics {
    return {
      state: this.currentState,
      agentId: this.session?.agentId,
      connectedSince: this.connectedSince,
      tasks: { running: this.running.size, completed: this.counters.completed, failed: this.counters.failed },
      reconnects: this.counters.reconnects,
      lastHeartbeatAt: this.lastHeartbeatAt,
      unacknowledged: this.outbox.size,
      draining: this.draining,
    };
  }

  /**
   * Connects, registers and opens the Work stream; resolves once the hub has
   * welcomed the agent. Rejects when the reconnect budget is spent first, or
   * when the agent is closed before it ever got ready.
   */
  start(): Promise<void> {
    if (this.currentState !== 'Idle') return Promise.reject(new AgentError('SHUTDOWN', 'agent was already started'));
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    void this.connectionLoop();
    this.scheduleHeartbeat();
    return ready;
  }

  /**
   * Starts the agent and resolves once it has shut down (after drain() or
   * close()); rejects with RECONNECT_EXHAUSTED if it gave up reconnecting.
   */
  async run(): Promise<void> {
    await this.start();
    await this.closed();
  }

  /** Resolves when the agent reaches Shutdown; rejects if it got there by giving up. */
  closed(): Promise<void> {
    if (this.currentState === 'Shutdown') {
      return this.shutdownError ? Promise.reject(this.shutdownError) : Promise.resolve();
    }
    return new Promise((resolve, reject) => this.shutdownWaiters.push({ resolve, reject }));
  }

  /** Stops taking tasks, lets running ones finish within `timeoutMs`, cancels the rest, reports, unregisters, closes. */
  drain(options: DrainOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.options.shutdownTimeoutMs;
    this.closing ??= this.shutdownSequence(async () => {
      await this.settleTasks(timeoutMs);
      this.cancelAll(true, 'drain timeout');
    });
    return this.closing;
  }

  /** Cancels running tasks now (by force if asked), reports their outcomes best-effort, unregisters, closes. */
  close(options: CloseOptions = {}): Promise<void> {
    const force = options.force ?? false;
    this.cancelAll(force, force ? 'forced shutdown' : 'shutdown');
    this.closing ??= this.shutdownSequence(async () => undefined);
    return this.closing;
  }

  // -------------------------------------------------------------------------
  // Connection

  private setState(next: ConnectionState): void {
    const prev = this.currentState;
    if (prev === next || !canTransition(prev, next)) return;
    this.currentState = next;
    this.options.logger.debug('agent state', { component: 'agent', prev, next });
    this.emit('state', next, prev);
  }

  private async connectionLoop(): Promise<void> {
    const { logger } = this.options;
    let lastError: AgentError | undefined;
    while (!this.stopping && !this.leaving) {
      this.setState('Connecting');
      let welcomed = false;
      try {
        await this.connectOnce(() => {
          welcomed = true;
        });
      } catch (err) {
        const error = AgentError.fromUnknown(err, 'CONNECT_FAILED');
        lastError = error;
        if (error.code === 'UNAUTHENTICATED') {
          // A refused bearer token does not heal by retrying: stop and say so.
          const fatal = new AgentError(
            'UNAUTHENTICATED',
            `the orchestrator at ${this.options.address} refused this worker's bearer token (UNAUTHENTICATED): ${error.message}`,
            { ...(error.grpcCode === undefined ? {} : { grpcCode: error.grpcCode }), cause: error },
          );
          logger.error(fatal.message, { component: 'agent', code: fatal.code });
          this.giveUp(fatal);
          return;
        }
        logger.warn('connection attempt failed', {
          component: 'agent',
          error: error.message,
          code: error.code,
          errno: error.errno,
        });
      }
      this.connectedSince = undefined;
      if (this.stopping || this.leaving) break;
      if (welcomed) this.backoff.reset();
      this.setState('TransientFailure');
      const delay = this.backoff.next();
      if (delay === undefined) {
        const last = lastError === undefined ? '' : `; last: ${lastError.message}`;
        const error = new AgentError(
          'RECONNECT_EXHAUSTED',
          `gave up after ${this.options.reconnectMaxAttempts} reconnect attempts${last}`,
          {
            ...(this.session ? { agentId: this.session.agentId } : {}),
            ...(lastError?.errno === undefined ? {} : { errno: lastError.errno }),
            ...(lastError === undefined ? {} : { cause: lastError }),
          },
        );
        logger.error(error.message, { component: 'agent', errno: error.errno });
        this.giveUp(error);
        return;
      }
      logger.debug('reconnecting after backoff', {
        component: 'agent',
        delayMs: delay,
        attempt: this.backoff.attempts,
      });
      await sleep(this.options.clock, delay, this.loopAbort.signal);
    }
  }

  /** Ends the agent for good: start() rejects, 'error' is emitted, closed() rejects with `error`. */
  private giveUp(error: AgentError): void {
    this.rejectReady(error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.shutdownError = error;
    this.finalShutdown();
  }

  /** One connection's life: dial, register (resuming if we can), stream until it ends. */
  private async connectOnce(onWelcome: () => void): Promise<void> {
    const client = createAgentServiceClient(this.options);
    this.client = client;
    try {
      try {
        await dialOnce(client, Date.now() + this.options.dialTimeoutMs);
      } catch (err) {
        if (this.stopping) return;
        const why = await diagnoseDial(this.options.parsedAddress);
        throw new AgentError(
          'CONNECT_FAILED',
          `cannot reach the orchestrator at ${this.options.address}: ${why.message}`,
          {
            cause: err,
            ...(why.errno === undefined ? {} : { errno: why.errno }),
          },
        );
      }
      if (this.stopping) return;
      const registered = await this.register(client);
      if (this.stopping) return;
      this.session = { agentId: registered.agentId, token: registered.registrationToken };
      this.emit('registered', registered.agentId, registered.resumed);
      await this.runWorkStream(client, onWelcome);
    } finally {
      this.stream = undefined;
      if (this.client === client) this.client = undefined;
      client.close();
    }
  }

  private register(client: AgentServiceClient): Promise<RegisterResponse> {
    const { options } = this;
    const request = RegisterRequest.fromPartial({
      name: options.name,
      type: AgentType.AGENT_TYPE_WORKER,
      metadata: {
        version: options.version,
        hostname: hostname(),
        pid: String(process.pid),
        labels: options.labels,
      },
      capabilities: {
        supportedTools: options.handler.tools(),
        maxConcurrentTasks: options.maxConcurrentTasks,
        supportsStreaming: true,
        supportsCancellation: true,
        supportedProtocols: [PROTOCOL_VERSION],
      },
      resumeAgentId: this.session?.agentId ?? '',
      resumeToken: this.session?.token ?? '',
    });
    return new Promise((resolve, reject) => {
      client.register(request, this.metadata(), { deadline: this.deadline() }, (err, res) =>
        err ? reject(rpcError('REGISTER_FAILED', 'register', err)) : resolve(res),
      );
    });
  }

  private runWorkStream(client: AgentServiceClient, onWelcome: () => void): Promise<void> {
    const session = this.session as { agentId: string; token: string };
    const call = client.work(this.metadata());
    this.stream = call;
    return new Promise<void>((resolve) => {
      let ended = false;
      const end = (err?: ServiceError): void => {
        if (ended) return;
        ended = true;
        if (this.stream === call) this.stream = undefined;
        if (err && err.code === GrpcStatus.UNAUTHENTICATED) {
          // The hub no longer honours our token (it forgot us): register afresh next time.
          this.session = undefined;
        }
        if (err && err.code !== GrpcStatus.CANCELLED) {
          this.options.logger.warn('work stream ended', { component: 'agent', code: err.code, details: err.details });
        }
        resolve();
      };
      call.on('data', (message: OrchestratorMessage) => this.onHubMessage(message, onWelcome));
      call.on('error', (err: ServiceError) => end(err));
      call.on('end', () => end());
      call.on('close', () => end());
      call.write({
        payload: {
          $case: 'hello',
          value: {
            agentId: session.agentId,
            token: session.token,
            maxSlots: this.options.maxConcurrentTasks,
            freeSlots: this.freeSlots(),
            // Unacknowledged results count as held, so the hub keeps them assigned until they arrive.
            runningTaskIds: [...new Set([...this.running.keys(), ...this.outbox.keys()])],
            draining: this.draining,
          },
        },
      });
      for (const finished of this.outbox.values()) call.write({ payload: { $case: 'finished', value: finished } });
    });
  }

  private onHubMessage(message: OrchestratorMessage, onWelcome: () => void): void {
    const payload = message.payload;
    if (!payload) return;
    switch (payload.$case) {
      case 'welcome':
        onWelcome();
        this.connectedSince = this.options.clock.now();
        if (this.everReady) this.counters.reconnects += 1;
        this.everReady = true;
        this.setState('Ready');
        this.resolveReady();
        return;
      case 'assign':
        this.onAssign(payload.value);
        return;
      case 'cancel':
        this.onCancel(payload.value);
        return;
      case 'ack':
        this.outbox.delete(payload.value.taskId);
        if (this.outbox.size === 0) for (const wake of [...this.ackWaiters]) wake();
        return;
    }
  }

  private send(message: WorkerMessage): boolean {
    const stream = this.stream;
    if (!stream || stream.writableEnded || stream.destroyed) return false;
    stream.write(message);
    return true;
  }

  private metadata() {
    return callMetadata(this.options.bearerToken);
  }

  private deadline(): number {
    return Date.now() + this.options.rpcTimeoutMs;
  }

  private resolveReady(): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  private rejectReady(err: Error): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(err);
  }

  // -------------------------------------------------------------------------
  // Heartbeat

  private scheduleHeartbeat(): void {
    if (this.stopping) return;
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      void this.heartbeat().finally(() => this.scheduleHeartbeat());
    }, this.options.heartbeatIntervalMs);
  }

  private async heartbeat(): Promise<void> {
    const client = this.client;
    const session = this.session;
    if (!client || !session || this.stopping) return;
    try {
      const res = await new Promise<HeartbeatResponse>((resolve, reject) => {
        client.heartbeat(
          {
            agentId: session.agentId,
            resources: this.usage.sample(),
            activeTasks: [...this.running.keys()],
            freeSlots: this.freeSlots(),
            draining: this.draining,
            // The registration token proves this heartbeat is ours; the agent id alone is public.
            token: session.token,
          },
          this.metadata(),
          { deadline: this.deadline() },
          (err, response) => (err ? reject(rpcError('RPC_FAILED', 'heartbeat', err)) : resolve(response)),
        );
      });
      this.lastHeartbeatAt = this.options.clock.now();
      if (res.reregister && this.session === session) {
        this.options.logger.warn('hub does not know this agent; registering again', {
          component: 'agent',
          agentId: session.agentId,
        });
        this.session = undefined;
        this.stream?.cancel();
      }
    } catch (err) {
      this.options.logger.debug('heartbeat failed', { component: 'agent', error: (err as Error).message });
    }
  }

  // -------------------------------------------------------------------------
  // Tasks

  private freeSlots(): number {
    return Math.max(0, this.options.maxConcurrentTasks - this.running.size);
  }

  private onAssign(assignment: TaskAssignment): void {
    const { taskId } = assignment;
    const reject = (code: string, message: string): void => {
      this.options.logger.debug('rejecting assignment', { component: 'agent', taskId, code });
      this.send({ payload: { $case: 'rejected', value: { taskId, code, message } } });
    };
    if (taskId === '' || assignment.tool === '') return reject('INVALID_ASSIGNMENT', 'task_id and tool are required');
    const held = this.running.get(taskId);
    if (held) {
      // A re-sent assignment after a reconnect: we already run it.
      this.send({
        payload: { $case: 'accepted', value: { taskId, attempt: held.task.attempt, startedAt: held.startedAt } },
      });
      return;
    }
    const reported = this.outbox.get(taskId);
    if (reported) {
      this.send({ payload: { $case: 'finished', value: reported } });
      return;
    }
    if (this.draining || this.stopping) return reject('DRAINING', 'worker is draining');
    if (this.running.size >= this.options.maxConcurrentTasks) return reject('NO_CAPACITY', 'no free slot');
    if (!this.options.handler.tools().includes(assignment.tool)) {
      return reject('UNKNOWN_TOOL', `tool not supported here: ${assignment.tool}`);
    }
    this.startTask(toAgentTask(assignment));
  }

  private startTask(task: AgentTask): void {
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
    };
    this.running.set(taskId, entry);
    this.send({ payload: { $case: 'accepted', value: { taskId, attempt: task.attempt, startedAt } } });
    this.options.logger.debug('task accepted', { component: 'agent', taskId, tool: task.tool });
    const emit = (event: TaskHandlerEvent): void => this.onHandlerEvent(entry, event);
    entry.done = Promise.resolve()
      .then(() => this.options.handler.run(task, { signal: controller.signal, emit }))
      .catch((err: unknown): TaskOutcome => {
        const error = AgentError.fromUnknown(err, 'HANDLER_ERROR', { taskId, tool: task.tool });
        this.options.logger.error('task handler failed', { component: 'agent', taskId, error: error.message });
        return failureOutcome('error', 'HANDLER_ERROR', error.message, startedAt);
      })
      .then((outcome) => {
        if (!entry.abandoned) this.report(entry, outcome);
      });
  }

  private onHandlerEvent(entry: RunningTask, event: TaskHandlerEvent): void {
    const { taskId } = entry.task;
    if (!this.running.has(taskId)) return;
    switch (event.type) {
      case 'started':
        entry.containerId = event.containerId;
        this.send({
          payload: {
            $case: 'progress',
            value: { taskId, percent: 0, message: 'started', containerId: event.containerId },
          },
        });
        return;
      case 'stdout':
      case 'stderr': {
        const offset = entry.offsets[event.type];
        entry.offsets[event.type] += event.data.byteLength;
        const stream = event.type === 'stdout' ? OutputStream.OUTPUT_STREAM_STDOUT : OutputStream.OUTPUT_STREAM_STDERR;
        this.send({ payload: { $case: 'output', value: { taskId, stream, data: Buffer.from(event.data), offset } } });
        return;
      }
      case 'progress':
        this.send({
          payload: {
            $case: 'progress',
            value: {
              taskId,
              percent: event.percent ?? 0,
              message: event.message ?? '',
              containerId: entry.containerId,
            },
          },
        });
        return;
    }
  }

  private report(entry: RunningTask, outcome: TaskOutcome): void {
    const { taskId } = entry.task;
    this.running.delete(taskId);
    const finished = toTaskFinished(entry, outcome);
    this.outbox.set(taskId, finished);
    if (outcome.status === 'completed') this.counters.completed += 1;
    else this.counters.failed += 1;
    this.options.logger.debug('task finished', { component: 'agent', taskId, status: outcome.status });
    this.send({ payload: { $case: 'finished', value: finished } });
    this.emit('task-finished', taskId, outcome);
  }

  private onCancel(cancel: TaskCancel): void {
    const entry = this.running.get(cancel.taskId);
    if (!entry) return;
    this.options.logger.debug('cancel requested', { component: 'agent', taskId: cancel.taskId, force: cancel.force });
    this.cancelEntry(entry, cancel.force, cancel.reason || 'cancelled by hub');
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

  private cancelAll(force: boolean, reason: string): void {
    for (const entry of this.running.values()) this.cancelEntry(entry, force, reason);
  }

  // -------------------------------------------------------------------------
  // Shutdown

  /** Resolves when no task runs any more, or after `ms`. */
  private async settleTasks(ms: number): Promise<void> {
    if (this.running.size === 0) return;
    const all = Promise.all([...this.running.values()].map((entry) => entry.done));
    const timer = new AbortController();
    await Promise.race([all, sleep(this.options.clock, ms, timer.signal)]);
    timer.abort();
  }

  private async shutdownSequence(beforeCancel: () => Promise<void>): Promise<void> {
    const { logger } = this.options;
    this.draining = true;
    this.send({
      payload: {
        $case: 'flow',
        value: { draining: true, freeSlots: this.freeSlots(), maxSlots: this.options.maxConcurrentTasks },
      },
    });
    await beforeCancel();
    // Cancelled handlers get the ack window to return; after that we report for them.
    await this.settleTasks(this.options.ackTimeoutMs);
    for (const entry of [...this.running.values()]) {
      entry.abandoned = true;
      this.report(
        entry,
        failureOutcome('cancelled', 'SHUTDOWN', 'handler did not return after cancellation', entry.startedAt),
      );
    }
    await this.awaitAcks(this.options.ackTimeoutMs);
    if (this.outbox.size > 0)
      logger.warn('closing with unacknowledged results', { component: 'agent', count: this.outbox.size });
    this.leaving = true;
    await this.unregister();
    this.finalShutdown();
  }

  private async awaitAcks(ms: number): Promise<void> {
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

  private async unregister(): Promise<void> {
    const client = this.client;
    const session = this.session;
    if (!client || !session) return;
    try {
      await new Promise<UnregisterResponse>((resolve, reject) => {
        client.unregister(
          { agentId: session.agentId, reason: 'shutdown', token: session.token },
          this.metadata(),
          { deadline: this.deadline() },
          (err, res) => (err ? reject(rpcError('RPC_FAILED', 'unregister', err)) : resolve(res)),
        );
      });
      this.options.logger.info('unregistered', { component: 'agent', agentId: session.agentId });
    } catch (err) {
      this.options.logger.warn('unregister failed', { component: 'agent', error: (err as Error).message });
    }
  }

  private finalShutdown(): void {
    if (this.stopping && this.currentState === 'Shutdown') return;
    this.stopping = true;
    this.loopAbort.abort();
    if (this.heartbeatTimer !== undefined) this.options.clock.clearTimeout(this.heartbeatTimer);
    this.stream?.end();
    this.stream?.cancel();
    this.client?.close();
    this.setState('Shutdown');
    this.rejectReady(new AgentError('SHUTDOWN', 'agent closed before it was ready'));
    for (const wake of [...this.ackWaiters]) wake();
    for (const waiter of this.shutdownWaiters.splice(0)) {
      if (this.shutdownError) waiter.reject(this.shutdownError);
      else waiter.resolve();
    }
  }
}

function rpcError(code: 'REGISTER_FAILED' | 'RPC_FAILED', what: string, err: ServiceError): AgentError {
  const grpcCode = grpcCodeOf(err);
  const finalCode = grpcCode === GrpcStatus.UNAUTHENTICATED ? 'UNAUTHENTICATED' : code;
  return new AgentError(finalCode, `${what}: ${err.details || err.message}`, {
    ...(grpcCode === undefined ? {} : { grpcCode }),
    cause: err,
  });
}

function failureOutcome(status: TaskOutcome['status'], code: string, message: string, startedAt: Date): TaskOutcome {
  return {
    status,
    exitCode: -1,
    stdout: '',
    stderr: '',
    truncated: false,
    durationMs: Date.now() - startedAt.getTime(),
    error: { code, message },
  };
}

function bytes(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/** Converts a handler outcome to the wire report; every non-completed state carries a typed error. */
export function toTaskFinished(
  entry: Pick<RunningTask, 'task' | 'startedAt' | 'containerId'>,
  outcome: TaskOutcome,
): TaskFinished {
  const error =
    outcome.error ??
    (outcome.status === 'completed' ? undefined : { code: outcome.status.toUpperCase(), message: outcome.status });
  return TaskFinished.fromPartial({
    taskId: entry.task.taskId,
    state: taskStateFromStatus(outcome.status),
    exitCode: outcome.exitCode,
    stdout: bytes(outcome.stdout),
    stderr: bytes(outcome.stderr),
    truncated: outcome.truncated,
    stdoutDroppedBytes: outcome.stdoutDroppedBytes ?? 0,
    stderrDroppedBytes: outcome.stderrDroppedBytes ?? 0,
    durationMs: Math.max(0, Math.round(outcome.durationMs)),
    containerId: outcome.containerId ?? entry.containerId,
    ...(error ? { error: { code: error.code, message: error.message, detail: outcome.error?.detail ?? '' } } : {}),
    startedAt: entry.startedAt,
    finishedAt: new Date(),
    attempt: entry.task.attempt,
    structuredJson: outcome.structured === undefined ? '' : JSON.stringify(outcome.structured),
    stopMode: outcome.stopMode ?? '',
  });
}
