import { EventEmitter } from 'node:events';
import { AgentConnection } from './agent-connection';
import type { HubPayload } from './agent-connection';
import { AgentInstruments } from './agent-instruments';
import { AgentLifecycle } from './agent-lifecycle';
import type { AgentState } from './agent-lifecycle';
import { resolveAgentOptions } from './agent-options';
import type { AgentOptions, ResolvedAgentOptions } from './agent-options';
import type { ConnectionState } from './connection-state';
import { AgentError } from './errors';
import { Heartbeat } from './heartbeat';
import { SessionReporter } from './session-reporter';
import { TaskRunner } from './task-runner';

export { toTaskFinished } from './wire-mapping';

/** Point-in-time figures for the worker CLI's status endpoint. */
export interface AgentMetrics {
  state: ConnectionState;
  /** Where the agent is in its life (`agent.lifecycle`). */
  lifecycle: AgentState;
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
  /** drain() or close() has been called. */
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

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The worker side of the protocol: registers with the hub, keeps one Work
 * stream open, runs pushed assignments on the injected handler, and reports
 * every outcome until the hub acknowledges it, across reconnects.
 *
 * Composes the connection (`AgentConnection`), the `Heartbeat` and the `TaskRunner`; owns the
 * lifecycle (`AgentState`, see agent-lifecycle.ts) and the shutdown sequence.
 *
 * Events: `state` (next, prev: ConnectionState), `lifecycle` (next, prev: AgentState),
 * `registered` (agentId, resumed), `task-finished` (taskId, outcome), `error` (AgentError; only
 * emitted when somebody listens, so a library never crashes its host).
 */
export class Agent extends EventEmitter {
  private readonly options: ResolvedAgentOptions;
  private readonly life: AgentLifecycle;
  private readonly connection: AgentConnection;
  private readonly heartbeat: Heartbeat;
  private readonly tasks: TaskRunner;
  private readonly sessions: SessionReporter;
  /** Aborted on entering a final state: stops the connection loop and the heartbeat. */
  private readonly stop = new AbortController();
  private readonly readyWaiters: Waiter[] = [];
  private readonly shutdownWaiters: Waiter[] = [];
  /** The shutdown sequence, once drain() or close() started it; both return it. */
  private shutdown: Promise<void> | undefined;

  private constructor(options: AgentOptions) {
    super();
    const resolved = resolveAgentOptions(options);
    this.options = resolved;
    const instruments = new AgentInstruments(resolved.metrics);
    this.life = new AgentLifecycle((next, prev) => {
      resolved.logger.debug('agent lifecycle', { component: 'agent', prev, next });
      instruments.setState(next);
      this.emit('lifecycle', next, prev);
    });
    this.sessions = new SessionReporter({
      handler: resolved.handler,
      logger: resolved.logger,
      send: (message) => this.connection.send(message),
    });
    this.tasks = new TaskRunner({
      handler: resolved.handler,
      maxConcurrentTasks: resolved.maxConcurrentTasks,
      logger: resolved.logger,
      clock: resolved.clock,
      instruments,
      send: (message) => this.connection.send(message),
      accepting: () => this.life.is('idle', 'connecting', 'ready', 'reconnecting'),
      onFinished: (taskId, outcome) => {
        // A call may have created, restarted or ended a session: the hub hears the new list.
        this.sessions.report();
        this.emit('task-finished', taskId, outcome);
      },
    });
    this.connection = new AgentConnection(
      resolved,
      {
        keepConnecting: () => !this.life.is('leaving', 'stopped', 'failed'),
        hello: () => ({
          freeSlots: this.tasks.freeSlots(),
          heldTaskIds: this.tasks.heldIds(),
          draining: this.draining,
          unacknowledged: this.tasks.unacknowledged(),
          sessions: this.sessions.forHello(),
        }),
        onState: (next, prev) => this.emit('state', next, prev),
        onRegistered: (agentId, resumed) => this.emit('registered', agentId, resumed),
        onWelcome: () => this.onWelcome(),
        onLost: () => {
          this.sessions.reset();
          if (this.life.is('ready')) this.life.transition('reconnecting');
        },
        onMessage: (payload) => this.onHubMessage(payload),
        onGiveUp: (error) => this.giveUp(error),
      },
      instruments.reconnects,
      this.stop.signal,
    );
    this.heartbeat = new Heartbeat({
      clock: resolved.clock,
      intervalMs: resolved.heartbeatIntervalMs,
      logger: resolved.logger,
      connection: this.connection,
      beforeBeat: () => this.sessions.report(),
      status: () => ({
        activeTasks: this.tasks.runningIds(),
        freeSlots: this.tasks.freeSlots(),
        draining: this.draining,
      }),
      failures: instruments.heartbeatFailures,
    });
  }

  /** drain() or close() has started the shutdown sequence (still true once the agent is final). */
  private get draining(): boolean {
    return this.shutdown !== undefined;
  }

  static create(options: AgentOptions): Agent {
    return new Agent(options);
  }

  /** The connection's state (`Idle`, `Connecting`, `Ready`, `TransientFailure`, `Shutdown`). */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Where the agent is in its life; see `AgentState`. */
  get lifecycle(): AgentState {
    return this.life.state;
  }

  getAgentId(): string | undefined {
    return this.connection.agentId;
  }

  metrics(): AgentMetrics {
    const { tasks, connection } = this;
    return {
      state: connection.state,
      lifecycle: this.life.state,
      agentId: connection.agentId,
      connectedSince: connection.connectedSince,
      tasks: { running: tasks.runningCount, completed: tasks.completed, failed: tasks.failed },
      reconnects: connection.reconnects,
      lastHeartbeatAt: this.heartbeat.lastAt,
      unacknowledged: tasks.unacknowledgedCount,
      draining: this.draining,
    };
  }

  /**
   * Connects, registers and opens the Work stream; resolves once the hub has
   * welcomed the agent. Rejects when the reconnect budget is spent first, or
   * when the agent is closed before it ever got ready. Only from `idle`: a
   * second call (or `run()` after `start()`) rejects with SHUTDOWN.
   */
  start(): Promise<void> {
    if (!this.life.is('idle')) {
      return Promise.reject(new AgentError('SHUTDOWN', `agent was already started (it is ${this.life.state})`));
    }
    this.life.transition('connecting');
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    void this.connection.run();
    this.heartbeat.start(this.stop.signal);
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

  /** Resolves when the agent is `stopped`; rejects with the error if it `failed`. Any state. */
  closed(): Promise<void> {
    if (this.life.is('stopped')) return Promise.resolve();
    const failure = this.life.error;
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => this.shutdownWaiters.push({ resolve, reject }));
  }

  /**
   * Stops taking tasks, lets running ones finish within `timeoutMs`, cancels the rest, reports,
   * unregisters, closes. Idempotent: later calls (and close()) return the same promise. After the
   * agent `failed` it still settles and reports the tasks that were running.
   */
  drain(options: DrainOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.options.shutdownTimeoutMs;
    return this.beginShutdown(async () => {
      await this.tasks.settle(timeoutMs);
      this.tasks.cancelAll(true, 'drain timeout');
    });
  }

  /** Cancels running tasks now (by force if asked), reports their outcomes best-effort, unregisters, closes. */
  close(options: CloseOptions = {}): Promise<void> {
    const force = options.force ?? false;
    this.tasks.cancelAll(force, force ? 'forced shutdown' : 'shutdown');
    return this.beginShutdown(async () => undefined);
  }

  private onWelcome(): void {
    if (this.life.is('connecting', 'reconnecting')) this.life.transition('ready');
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  private onHubMessage(payload: HubPayload): void {
    switch (payload.$case) {
      case 'assign':
        return this.tasks.assign(payload.value);
      case 'cancel':
        return this.tasks.cancel(payload.value);
      case 'ack':
        return this.tasks.ack(payload.value.taskId);
      case 'closeSession':
        void this.sessions.close(payload.value);
        return;
    }
  }

  private rejectReady(err: Error): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(err);
  }

  /** Ends the agent for good: start() rejects, 'error' is emitted, closed() rejects with `error`. */
  private giveUp(error: AgentError): void {
    if (this.life.isFinal) return;
    this.life.fail(error);
    this.rejectReady(error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.teardown();
  }

  /** Enters `draining` (unless the agent already failed) and starts the shutdown sequence, once. */
  private beginShutdown(beforeCancel: () => Promise<void>): Promise<void> {
    if (this.shutdown === undefined) {
      // A lifecycle listener may call drain()/close() again from inside this transition: `??=` keeps one sequence.
      if (!this.life.isFinal && !this.life.is('draining')) this.life.transition('draining');
      this.shutdown ??= this.shutdownSequence(beforeCancel);
    }
    return this.shutdown;
  }

  private async shutdownSequence(beforeCancel: () => Promise<void>): Promise<void> {
    const { logger, ackTimeoutMs, maxConcurrentTasks } = this.options;
    this.connection.send({
      payload: {
        $case: 'flow',
        value: { draining: true, freeSlots: this.tasks.freeSlots(), maxSlots: maxConcurrentTasks },
      },
    });
    await beforeCancel();
    // Cancelled handlers get the ack window to return; after that we report for them.
    await this.tasks.settle(ackTimeoutMs);
    this.tasks.abandonRemaining();
    await this.tasks.awaitAcks(ackTimeoutMs);
    if (this.tasks.unacknowledgedCount > 0)
      logger.warn('closing with unacknowledged results', { component: 'agent', count: this.tasks.unacknowledgedCount });
    // The agent may have given up meanwhile (failed): then it is final already and stays so.
    if (this.life.isFinal) return;
    this.life.transition('leaving');
    await this.connection.unregister();
    if (this.life.isFinal) return;
    this.life.transition('stopped');
    this.teardown();
  }

  /** The common end of `stopped` and `failed`: stop the loop and heartbeat, close the channel, settle waiters. */
  private teardown(): void {
    this.stop.abort();
    this.connection.close();
    this.rejectReady(new AgentError('SHUTDOWN', 'agent closed before it was ready'));
    this.tasks.wakeAckWaiters();
    const failure = this.life.error;
    for (const waiter of this.shutdownWaiters.splice(0)) {
      if (failure) waiter.reject(failure);
      else waiter.resolve();
    }
  }
}
