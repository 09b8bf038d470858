import { hostname } from 'node:os';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ClientDuplexStream, Metadata, ServiceError } from '@grpc/grpc-js';
import { AgentType, PROTOCOL_VERSION, RegisterRequest } from '@baaaht/proto';
import type {
  AgentServiceClient,
  OrchestratorMessage,
  RegisterResponse,
  SessionInfo,
  TaskFinished,
  UnregisterResponse,
  WorkerMessage,
} from '@baaaht/proto';
import type { ResolvedAgentOptions } from './agent-options';
import { Backoff } from './backoff';
import { callMetadata, createAgentServiceClient, dialOnce } from './channel';
import { sleep } from './clock';
import { canTransition } from './connection-state';
import type { ConnectionState } from './connection-state';
import { diagnoseDial } from './dial-diagnosis';
import { AgentError, rpcError } from './errors';
import type { MetricCounter } from './metric-meter';

/** The hub's id for us and the secret token that proves it on Heartbeat, Unregister and Work hello. */
export interface AgentSession {
  agentId: string;
  token: string;
}

/** What the Work stream's hello tells the hub, read fresh on every connection. */
export interface HelloState {
  freeSlots: number;
  /** Running tasks and reported-but-unacknowledged ones: the hub keeps both assigned to us. */
  heldTaskIds: string[];
  draining: boolean;
  /** Reports the hub has not acknowledged, re-sent right after the hello. */
  unacknowledged: Iterable<TaskFinished>;
  /** The sandbox sessions the handler holds, so the hub routes their calls here from the start. */
  sessions: SessionInfo[];
}

/** Hub messages other than `welcome`, which the connection handles itself. */
export type HubPayload = Exclude<NonNullable<OrchestratorMessage['payload']>, { $case: 'welcome' }>;

/** How the connection tells the agent what happened; the agent owns the lifecycle, the connection only reports. */
export interface ConnectionHooks {
  /** False once the agent is leaving or stopped: the loop ends instead of connecting again. */
  keepConnecting(): boolean;
  hello(): HelloState;
  onState(next: ConnectionState, prev: ConnectionState): void;
  onRegistered(agentId: string, resumed: boolean): void;
  /** The hub welcomed us; the connection state is already `Ready`. */
  onWelcome(): void;
  /** A connection ended or an attempt failed; the backoff comes next. */
  onLost(): void;
  onMessage(payload: HubPayload): void;
  /** Retrying cannot help (refused token) or the reconnect budget of this outage is spent. */
  onGiveUp(error: AgentError): void;
}

/**
 * Dial, register (resuming the session when it can), keep the Work stream open, and reconnect with
 * backoff until `signal` aborts or the agent stops wanting a connection. Its state is `ConnectionState`.
 */
export class AgentConnection {
  private currentState: ConnectionState = 'Idle';
  private readonly backoff: Backoff;
  private session: AgentSession | undefined;
  private client: AgentServiceClient | undefined;
  private stream: ClientDuplexStream<WorkerMessage, OrchestratorMessage> | undefined;
  private since: number | undefined;
  private welcomes = 0;

  constructor(
    private readonly options: ResolvedAgentOptions,
    private readonly hooks: ConnectionHooks,
    private readonly reconnectsTotal: MetricCounter,
    /** Aborted when the agent reaches a final state: ends the loop, its backoff sleep and any pending step. */
    private readonly signal: AbortSignal,
  ) {
    this.backoff = new Backoff({
      initialMs: options.reconnectIntervalMs,
      maxMs: options.reconnectMaxIntervalMs,
      maxAttempts: options.reconnectMaxAttempts,
      jitter: options.reconnectJitter,
      random: options.random,
    });
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get agentId(): string | undefined {
    return this.session?.agentId;
  }

  /** Epoch ms of the current connection's welcome; undefined while disconnected. */
  get connectedSince(): number | undefined {
    return this.since;
  }

  /** Successful connections after the first one. */
  get reconnects(): number {
    return Math.max(0, this.welcomes - 1);
  }

  /** The client and session of the current connection, for a worker-scoped unary call. */
  current(): { client: AgentServiceClient; session: AgentSession } | undefined {
    return this.client && this.session ? { client: this.client, session: this.session } : undefined;
  }

  /** Per-call metadata and deadline of unary calls. */
  callOptions(): [Metadata, { deadline: number }] {
    return [callMetadata(this.options.bearerToken), { deadline: Date.now() + this.options.rpcTimeoutMs }];
  }

  /** The hub does not know `session` any more: drop it and end the stream, so the next connection registers afresh. */
  forgetSession(session: AgentSession): void {
    if (this.session !== session) return;
    this.options.logger.warn('hub does not know this agent; registering again', {
      component: 'agent',
      agentId: session.agentId,
    });
    this.session = undefined;
    this.stream?.cancel();
  }

  /** Writes to the Work stream; false when there is none to write to. */
  send(message: WorkerMessage): boolean {
    const stream = this.stream;
    if (!stream || stream.writableEnded || stream.destroyed) return false;
    stream.write(message);
    return true;
  }

  /** The connection loop; resolves when it ends (signal, leaving, or giving up). */
  async run(): Promise<void> {
    const { logger } = this.options;
    let lastError: AgentError | undefined;
    while (!this.signal.aborted && this.hooks.keepConnecting()) {
      this.setState('Connecting');
      let welcomed = false;
      try {
        await this.connectOnce(() => {
          welcomed = true;
        });
      } catch (err) {
        const error = AgentError.fromUnknown(err, 'CONNECT_FAILED');
        lastError = error;
        if (this.signal.aborted) return;
        if (error.code === 'UNAUTHENTICATED') {
          // A refused bearer token does not heal by retrying: stop and say so.
          const fatal = new AgentError(
            'UNAUTHENTICATED',
            `the orchestrator at ${this.options.address} refused this worker's bearer token (UNAUTHENTICATED): ${error.message}`,
            { ...(error.grpcCode === undefined ? {} : { grpcCode: error.grpcCode }), cause: error },
          );
          logger.error(fatal.message, { component: 'agent', code: fatal.code });
          this.hooks.onGiveUp(fatal);
          return;
        }
        logger.warn('connection attempt failed', {
          component: 'agent',
          error: error.message,
          code: error.code,
          errno: error.errno,
        });
      }
      this.since = undefined;
      if (this.signal.aborted || !this.hooks.keepConnecting()) break;
      if (welcomed) this.backoff.reset();
      this.setState('TransientFailure');
      this.hooks.onLost();
      const delay = this.backoff.next();
      if (delay === undefined) {
        this.hooks.onGiveUp(this.exhausted(lastError));
        return;
      }
      logger.debug('reconnecting after backoff', {
        component: 'agent',
        delayMs: delay,
        attempt: this.backoff.attempts,
      });
      await sleep(this.options.clock, delay, this.signal);
    }
  }

  private exhausted(lastError: AgentError | undefined): AgentError {
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
    this.options.logger.error(error.message, { component: 'agent', errno: error.errno });
    return error;
  }

  /** Tells the hub we are leaving for good; failures are logged, never thrown. */
  async unregister(): Promise<void> {
    const live = this.current();
    if (!live) return;
    const { client, session } = live;
    try {
      await new Promise<UnregisterResponse>((resolve, reject) => {
        client.unregister(
          { agentId: session.agentId, reason: 'shutdown', token: session.token },
          ...this.callOptions(),
          (err, res) => (err ? reject(rpcError('RPC_FAILED', 'unregister', err)) : resolve(res)),
        );
      });
      this.options.logger.info('unregistered', { component: 'agent', agentId: session.agentId });
    } catch (err) {
      this.options.logger.warn('unregister failed', { component: 'agent', error: (err as Error).message });
    }
  }

  /** Ends the stream and the channel for good (the signal has aborted); the state becomes `Shutdown`. */
  close(): void {
    this.stream?.end();
    this.stream?.cancel();
    this.client?.close();
    this.setState('Shutdown');
  }

  private setState(next: ConnectionState): void {
    const prev = this.currentState;
    // A late step of a connection that is being torn down may ask for a move the table forbids: ignore it.
    if (prev === next || !canTransition(prev, next)) return;
    this.currentState = next;
    this.options.logger.debug('agent state', { component: 'agent', prev, next });
    this.hooks.onState(next, prev);
  }

  /** One connection's life: dial, register (resuming if we can), stream until it ends. */
  private async connectOnce(onWelcome: () => void): Promise<void> {
    const client = createAgentServiceClient(this.options);
    this.client = client;
    try {
      try {
        await dialOnce(client, Date.now() + this.options.dialTimeoutMs);
      } catch (err) {
        if (this.signal.aborted) return;
        const why = await diagnoseDial(this.options.parsedAddress, {
          ...(this.options.tls ? { tls: this.options.tls } : {}),
        });
        throw new AgentError(
          'CONNECT_FAILED',
          `cannot reach the orchestrator at ${this.options.address}: ${why.message}`,
          {
            cause: err,
            ...(why.errno === undefined ? {} : { errno: why.errno }),
          },
        );
      }
      if (this.signal.aborted) return;
      const registered = await this.register(client);
      if (this.signal.aborted) return;
      this.session = { agentId: registered.agentId, token: registered.registrationToken };
      this.hooks.onRegistered(registered.agentId, registered.resumed);
      await this.runWorkStream(client, this.session, onWelcome);
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
      client.register(request, ...this.callOptions(), (err, res) =>
        err ? reject(rpcError('REGISTER_FAILED', 'register', err)) : resolve(res),
      );
    });
  }

  private runWorkStream(client: AgentServiceClient, session: AgentSession, onWelcome: () => void): Promise<void> {
    const call = client.work(callMetadata(this.options.bearerToken));
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
      call.on('data', (message: OrchestratorMessage) => {
        const payload = message.payload;
        if (!payload) return;
        if (payload.$case !== 'welcome') return this.hooks.onMessage(payload);
        onWelcome();
        this.welcome();
      });
      call.on('error', (err: ServiceError) => end(err));
      call.on('end', () => end());
      call.on('close', () => end());
      const hello = this.hooks.hello();
      call.write({
        payload: {
          $case: 'hello',
          value: {
            agentId: session.agentId,
            token: session.token,
            maxSlots: this.options.maxConcurrentTasks,
            freeSlots: hello.freeSlots,
            runningTaskIds: hello.heldTaskIds,
            draining: hello.draining,
            sessions: hello.sessions,
          },
        },
      });
      for (const finished of hello.unacknowledged) call.write({ payload: { $case: 'finished', value: finished } });
    });
  }

  private welcome(): void {
    this.since = this.options.clock.now();
    this.welcomes += 1;
    // Counted before the state event, so a listener reading the agent's metrics sees it.
    if (this.welcomes > 1) this.reconnectsTotal.add(1);
    this.setState('Ready');
    this.hooks.onWelcome();
  }
}
