import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { AgentServiceService, TaskServiceService } from '@baaaht/proto';
import type { Agent, CloseSessionResponse, SessionInfo, Task, TaskEvent, TaskFinished, TaskState } from '@baaaht/proto';
import { HubError } from './errors';
import { agentService, taskService } from './grpc-services';
import { HubCore } from './hub-core';
import type { CancelOutcome, HubCoreEvents, TaskListFilter, TasksPage } from './hub-core';
import { resolveHubOptions } from './hub-options';
import type { HubOptions, HubTlsOptions, ResolvedHubOptions } from './hub-options';
import { assessListener, parseListenAddress } from './listen-address';
import { TlsListener } from './tls-listener';
import { StagedSocket, clearSocketPath, ensureSocketDirectory, removePublishedSocket } from './unix-socket';
import type { PublishedSocket } from './unix-socket';
import { MemoryTaskStore } from './memory-task-store';
import { SqliteTaskStore } from './sqlite-task-store';
import type { SubmitTaskInput } from './submission';
import { taskEventIterable } from './task-events';
import type { TaskStore } from './task-store';

/**
 * - `created`: tasks can be submitted (they queue), no socket yet;
 * - `listening`: serving workers and clients;
 * - `closing`: refusing new work, ending streams;
 * - `closed`: final; the store is closed.
 */
export type HubState = 'created' | 'listening' | 'closing' | 'closed';

/** What `submit` returns. `result` rejects with HUB_CLOSED if the hub closes first. */
export interface TaskHandle {
  taskId: string;
  /** False when the id already existed (idempotent resubmission). */
  created: boolean;
  state: TaskState;
  /** The task's events from submission on, ending with `finished`. */
  events: AsyncIterable<TaskEvent>;
  result: Promise<TaskFinished>;
}

function material(inline: string | Buffer | undefined, file: string | undefined): Buffer | undefined {
  if (inline !== undefined) return Buffer.isBuffer(inline) ? inline : Buffer.from(inline);
  return file === undefined ? undefined : readFileSync(file);
}

/** The TLS material, read once per listen; mutual TLS unless said otherwise when a CA is given. */
function tlsMaterial(tls: HubTlsOptions): { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert: boolean } {
  const cert = material(tls.cert, tls.certFile);
  const key = material(tls.key, tls.keyFile);
  if (!cert || !key) throw new TypeError('tls: cert and key are required');
  const ca = material(tls.ca, tls.caFile);
  return {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    requireClientCert: tls.requireClientCert ?? ca !== undefined,
  };
}

/**
 * The orchestrator side of the protocol: a registry of workers, a durable
 * queue, push dispatch with leases, and the AgentService/TaskService RPCs.
 * Create with `createHub()`, then `listen()`.
 */
export class Hub {
  private readonly options: ResolvedHubOptions;
  private readonly core: HubCore;
  private readonly store: TaskStore;
  private server: Server | undefined;
  private socket: PublishedSocket | undefined;
  private tlsListener: TlsListener | undefined;
  private currentState: HubState = 'created';

  private constructor(options: HubOptions) {
    this.options = resolveHubOptions(options);
    this.store =
      this.options.store ??
      (this.options.dataDir ? new SqliteTaskStore({ dataDir: this.options.dataDir }) : new MemoryTaskStore());
    this.core = new HubCore({
      store: this.store,
      leaseMs: this.options.leaseMs,
      clock: this.options.clock,
      logger: this.options.logger,
      metrics: this.options.metrics,
      knownTools: this.options.knownTools,
      limits: {
        registrationTtlMs: this.options.registrationTtlMs,
        maxRegistrations: this.options.maxRegistrations,
        maxWorkerNameBytes: this.options.maxWorkerNameBytes,
        maxLabels: this.options.maxLabels,
        maxLabelKeyBytes: this.options.maxLabelKeyBytes,
        maxLabelValueBytes: this.options.maxLabelValueBytes,
        maxListEntries: this.options.maxListEntries,
        maxListEntryBytes: this.options.maxListEntryBytes,
        maxMetadataFieldBytes: this.options.maxMetadataFieldBytes,
        maxListWorkersPageSize: this.options.maxListWorkersPageSize,
        // Half the send limit leaves room for framing; 4 MiB keeps a page small whatever the limit.
        listWorkersPageBytes: Math.min(4 * 1024 * 1024, Math.floor(this.options.maxSendMessageBytes / 2)),
        maxListTasksPageSize: this.options.maxListTasksPageSize,
        listTasksPageBytes: Math.min(4 * 1024 * 1024, Math.floor(this.options.maxSendMessageBytes / 2)),
        listSessionsPageBytes: Math.min(4 * 1024 * 1024, Math.floor(this.options.maxSendMessageBytes / 2)),
      },
    });
  }

  static create(options: HubOptions = {}): Hub {
    return new Hub(options);
  }

  get state(): HubState {
    return this.currentState;
  }

  /** Binds and serves; resolves with the bound address (`unix:///path` or `host:port` with the real port). */
  async listen(address: string): Promise<string> {
    if (this.currentState !== 'created')
      throw new HubError('HUB_CLOSED', `cannot listen in state ${this.currentState}`);
    const parsed = parseListenAddress(address);
    const { options } = this;
    const verdict = assessListener(parsed, {
      tls: options.tls !== undefined,
      bearerToken: options.bearerToken !== undefined,
      insecure: options.insecure,
    });
    if (!verdict.allowed) throw verdict.error;
    if (verdict.warning) options.logger.warn(verdict.warning, { component: 'hub', address });
    let staged: StagedSocket | undefined;
    if (parsed.kind === 'unix') {
      ensureSocketDirectory(dirname(parsed.path), options.socketGroup);
      await clearSocketPath(parsed.path, options.socketProbeTimeoutMs);
      staged = new StagedSocket(parsed.path);
    }
    const server = new Server({
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
      'grpc.max_send_message_length': options.maxSendMessageBytes,
      'grpc.keepalive_time_ms': options.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1000,
    });
    const context = {
      core: this.core,
      logger: options.logger,
      bearerToken: options.bearerToken,
      version: options.version,
      knownTools: options.knownTools,
    };
    server.addService(AgentServiceService, agentService(context));
    server.addService(TaskServiceService, taskService(context));
    let port: number;
    if (parsed.kind === 'tcp' && options.tls !== undefined) {
      // TLS is ours (tls-listener.ts): grpc-js gets the connections that passed, already decrypted.
      const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
      this.tlsListener = await TlsListener.listen({
        host: parsed.host,
        port: parsed.port,
        ...tlsMaterial(options.tls),
        logger: options.logger,
        accept: (socket) => injector.injectConnection(socket),
      }).catch((err: unknown) => {
        server.forceShutdown();
        throw err;
      });
      port = this.tlsListener.port;
    } else {
      const bindTarget = staged ? `unix:${staged.bindPath}` : parsed.bindTarget;
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(bindTarget, ServerCredentials.createInsecure(), (err, boundPort) =>
          err ? reject(err) : resolve(boundPort),
        ),
      ).catch((err: unknown) => {
        staged?.discard();
        throw new HubError('INTERNAL', `cannot listen on ${address}: ${(err as Error).message}`, { cause: err });
      });
    }
    if (staged) {
      try {
        this.socket = staged.publish(options.socketGroup === undefined ? 0o600 : 0o660, options.socketGroup);
      } catch (err) {
        server.forceShutdown();
        throw err;
      }
    }
    this.server = server;
    this.currentState = 'listening';
    const bound = parsed.kind === 'unix' ? `unix://${parsed.path}` : `${parsed.host}:${port}`;
    options.logger.info('hub listening', { component: 'hub', address: bound, durable: this.store.durable });
    return bound;
  }

  /** Alias of `listen` for hosts that prefer start/close. */
  start(address: string): Promise<string> {
    return this.listen(address);
  }

  submit(input: SubmitTaskInput): TaskHandle {
    // Subscribe before submitting: dispatch happens inside submit, and `events` must include `assigned`.
    const taskId = input.taskId || randomUUID();
    const fresh = taskEventIterable((listener) => this.core.subscribe(taskId, listener));
    let outcome;
    try {
      outcome = this.core.submit({ ...input, taskId });
    } catch (err) {
      fresh.close();
      throw err;
    }
    let events: AsyncIterable<TaskEvent> = fresh;
    if (!outcome.created) {
      fresh.close();
      events = this.watch(taskId);
    }
    const result = this.core.result(taskId);
    // The caller may never look at `result`; a hub closing must not turn that into an unhandled rejection.
    result.catch(() => undefined);
    return { taskId, created: outcome.created, state: outcome.state, events, result };
  }

  /** Events of one task from now on (a finished task replays its result), ending with `finished`. */
  watch(taskId: string): AsyncIterable<TaskEvent> {
    const task = this.core.getTask(taskId);
    if (!task) throw new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId });
    const replay: TaskEvent[] = task.finished ? [{ taskId, payload: { $case: 'finished', value: task.finished } }] : [];
    return taskEventIterable((listener) => this.core.subscribe(taskId, listener), replay);
  }

  /** The result of a task, waiting for it if needed. */
  result(taskId: string): Promise<TaskFinished> {
    return this.core.result(taskId);
  }

  cancel(taskId: string, options: { force?: boolean; reason?: string } = {}): CancelOutcome {
    return this.core.cancel(taskId, options.force ?? false, options.reason);
  }

  getTask(taskId: string): Task | undefined {
    return this.core.getTask(taskId);
  }

  workers(): Agent[] {
    return this.core.listWorkers();
  }

  /** One page of tasks, newest first, without output (see `HubCore.listTasksPage`). */
  listTasks(options: TaskListFilter & { pageSize?: number; pageToken?: string } = {}): TasksPage {
    const { pageSize = 0, pageToken = '', ...filter } = options;
    return this.core.listTasksPage(pageSize, pageToken, filter);
  }

  /**
   * The sandbox sessions the hub routes calls to, in session-id order: id, holding worker (agent id and
   * name), state (`assigned`, `active`, `closing`, or `lost` once the holder is gone), calls, last use.
   */
  sessions(): SessionInfo[] {
    return this.core.listSessions();
  }

  /**
   * Sends SessionClose to the worker holding `sessionId`; resolves with `known` (whether the hub knew the
   * session) and `status`: CLOSED or NOT_HELD as the worker answered, PENDING if it is away or slow to
   * answer (the close is sent again on its next hello), UNKNOWN.
   */
  closeSession(sessionId: string, options: { reason?: string } = {}): Promise<CloseSessionResponse> {
    return this.core.closeSession(sessionId, options.reason);
  }

  /** Live worker registrations (bounded by `maxRegistrations`). */
  get registrations(): number {
    return this.core.registrations;
  }

  on<K extends keyof HubCoreEvents>(event: K, listener: (...args: HubCoreEvents[K]) => void): this {
    (this.core.on as (e: K, l: (...args: HubCoreEvents[K]) => void) => unknown)(event, listener);
    return this;
  }

  off<K extends keyof HubCoreEvents>(event: K, listener: (...args: HubCoreEvents[K]) => void): this {
    (this.core.off as (e: K, l: (...args: HubCoreEvents[K]) => void) => unknown)(event, listener);
    return this;
  }

  /** Open task-event subscriptions; for leak checks. */
  get subscriptions(): number {
    return this.core.subscriptions;
  }

  /** Ends every stream, stops the server (forcefully after `shutdownGraceMs`), closes the store. */
  async close(): Promise<void> {
    if (this.currentState === 'closed' || this.currentState === 'closing') return;
    this.currentState = 'closing';
    this.core.close();
    // Stop taking connections now; the accepted ones close as the gRPC server shuts them down below.
    const listenerClosed = this.tlsListener?.close();
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, this.options.shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await listenerClosed;
    if (this.socket) removePublishedSocket(this.socket);
    this.store.close();
    this.currentState = 'closed';
    this.options.logger.info('hub closed', { component: 'hub' });
  }
}

/** Creates a hub; `dataDir` makes it durable (SQLite), otherwise tasks live in memory. */
export function createHub(options: HubOptions = {}): Hub {
  return Hub.create(options);
}
