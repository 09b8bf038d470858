import { Agent } from '@baaaht/agent';
import type { AgentOptions, ConnectionState as AgentConnectionState } from '@baaaht/agent';
import type { Executor } from '@baaaht/executor';
import type { ReloadResult } from '@baaaht/policy';
import type { ResolvedWorkerConfig } from './config';
import { checkToolAvailability } from './tool-availability';
import { noWorkspaceWarning } from './workspace-check';
import { WorkerCliError } from './errors';
import { createExecutorTaskHandler } from './executor-task-handler';
import { configuredExecutorOptions, createWorkerExecutor } from './worker-executor';
import type { CliLogger } from './logger';
import { createWorkerPolicy } from './policy-setup';
import { loadPromMeter, loadStatusServer } from './lazy-modules';
import type { PromMeter } from './prom-meter';
import type { WorkerPolicy } from './policy-setup';
import type { StatusServer } from './status-server';
import { workerCatalog } from './tool-catalog';
import { WorkerMetrics } from './worker-metrics';
import type { ConnectionState } from './worker-metrics';

const STATE_NAMES: Record<AgentConnectionState, ConnectionState> = {
  Idle: 'idle',
  Connecting: 'connecting',
  Ready: 'ready',
  TransientFailure: 'transient_failure',
  Shutdown: 'shutdown',
};

/**
 * - `created`: policy, executor, agent and status server are set up; not connected yet.
 * - `running`: connecting, connected or reconnecting; taking tasks.
 * - `draining`: no new tasks; running ones finish within the shutdown timeout.
 * - `stopped`: everything closed; `run()` has resolved with the exit code.
 */
export type WorkerProcessState = 'created' | 'running' | 'draining' | 'stopped';

export interface WorkerProcessOptions {
  resolved: ResolvedWorkerConfig;
  /** Passed to the executor (DOCKER_HOST) and the policy (`${VAR}` expansion). */
  env: NodeJS.ProcessEnv;
  logger: CliLogger;
  version: string;
}

/** The worker: policy, executor, agent and status server wired together. */
export class WorkerProcess {
  private stateValue: WorkerProcessState = 'created';
  private exitCode = 0;
  private stopping: Promise<void> | undefined;
  private finished: Promise<number> | undefined;
  private resolveFinished: ((code: number) => void) | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly log: CliLogger;

  private constructor(
    private readonly options: WorkerProcessOptions,
    private readonly policy: WorkerPolicy,
    private readonly executor: Executor,
    private readonly agent: Agent,
    private readonly metrics: WorkerMetrics,
    private readonly tools: readonly string[],
    private readonly statusServer: StatusServer | undefined,
  ) {
    this.log = options.logger.child({ component: 'worker' });
  }

  /** Loads the policy, opens the executor (Docker), creates the agent and starts the status server. */
  static async create(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const { env, logger, version } = options;
    let { resolved } = options;
    const { config } = resolved;
    const source = resolved.sources.toolImages === 'default' ? '--tool-image' : resolved.sources.toolImages;
    const { catalog, images } = workerCatalog(config.toolImages, source);
    const policy = createWorkerPolicy({
      file: config.policy,
      workspaceRoots: config.workspaceRoots,
      auditLog: config.auditLog,
      env,
      logger,
    });
    // Only a status server is ever scraped; without one the libraries keep their no-op meters (and
    // prom-client is never loaded).
    const meter = config.statusAddr !== undefined ? loadPromMeter().createProcessMeter() : undefined;
    let executor: Executor;
    try {
      executor = await createWorkerExecutor({
        policy: policy.enforcer,
        sessionId: config.name,
        workerId: config.name,
        logger,
        ...configuredExecutorOptions(config, images, env),
        version,
        // Two plain workers on one host share the default name: the second takes `<name>-2` and says so.
        workerIdConflict: resolved.sources.name === 'default' ? 'suffix' : 'refuse',
        ...(meter !== undefined ? { metrics: meter } : {}),
      });
    } catch (err) {
      policy.store.close();
      throw err;
    }
    // A container the pool started under the previous policy must not serve a call judged by the new one.
    policy.store.on('reloaded', () => void executor.invalidatePool('policy reloaded'));
    if (executor.workerId !== config.name) {
      logger.warn(`another live worker on this host is named '${config.name}'; this one is '${executor.workerId}'`, {
        component: 'worker',
        instanceId: executor.instanceId,
      });
      resolved = { ...resolved, config: { ...config, name: executor.workerId } };
    }
    const metrics = new WorkerMetrics({
      name: resolved.config.name,
      version,
      liveTasks: () => executor.liveTasks(),
      sessions: () => executor.listSessions(),
    });
    // A tool this configuration cannot run (web_search without a backend, an image that is missing under
    // pull policy never or lacks the tool's programs) is not offered at all.
    const names = catalog.all().map((s) => s.name);
    const unavailable = await checkToolAvailability({
      executor,
      catalog,
      config,
      policy: policy.enforcer,
      env,
      logger,
      runtime: {
        policy: policy.store.current(),
        workerRuntime: config.runtime,
        engineRuntimes: executor.engineRuntimes(),
      },
    });
    const mountWarning = noWorkspaceWarning(config, env);
    if (mountWarning !== undefined) logger.warn(mountWarning, { component: 'worker' });
    const tools = names.filter((name) => !unavailable.has(name));
    const multiStep = new Set(
      catalog
        .all()
        .filter((spec) => spec.run !== undefined)
        .map((spec) => spec.name),
    );
    const handler = createExecutorTaskHandler({
      executor,
      tools,
      multiStep,
      logger: logger.child({ component: 'task' }),
      metrics,
    });
    let agent: Agent;
    let statusServer: StatusServer | undefined;
    try {
      agent = Agent.create(agentOptions(resolved, handler, logger, version, meter));
      if (config.statusAddr !== undefined) {
        const snapshot = (): ReturnType<WorkerMetrics['snapshot']> => {
          const m = executor.metrics();
          metrics.setEgress({ allowed: m.egressAllowed, denied: m.egressDenied });
          return metrics.snapshot();
        };
        statusServer = await loadStatusServer().startStatusServer({
          address: config.statusAddr,
          snapshot,
          ready: () => metrics.ready,
          ...(meter !== undefined ? { registry: meter.registry } : {}),
          logger,
        });
      }
    } catch (err) {
      await executor.close().catch(() => undefined);
      policy.store.close();
      if (err instanceof TypeError) throw new WorkerCliError('CONFIG_INVALID', err.message, { cause: err });
      throw err;
    }
    return new WorkerProcess(options, policy, executor, agent, metrics, tools, statusServer);
  }

  get state(): WorkerProcessState {
    return this.stateValue;
  }

  /** Where the status server listens (port 0 resolved), if one was asked for. */
  get statusAddress(): { host: string; port: number } | undefined {
    return this.statusServer?.address;
  }

  /** Connects and serves until stopped; resolves with the exit code (0 after a clean drain). */
  run(): Promise<number> {
    if (this.finished) return this.finished;
    this.finished = new Promise<number>((resolve) => {
      this.resolveFinished = resolve;
    });
    this.stateValue = 'running';
    // The agent's backoff timers do not hold the event loop open; the worker must stay up between reconnects.
    this.keepAlive = setInterval(() => undefined, 1 << 30);
    const { agent, metrics, log } = this;
    const { config } = this.options.resolved;
    if (this.statusServer)
      log.info('status server ready', {
        address: `${this.statusServer.address.host}:${this.statusServer.address.port}`,
      });
    agent.on('state', (next: AgentConnectionState) => {
      metrics.setConnection(STATE_NAMES[next] ?? 'idle');
      metrics.setReconnects(agent.metrics().reconnects);
      log.debug('connection state', { state: STATE_NAMES[next] });
    });
    agent.on('registered', (agentId: string, resumed: boolean) => {
      metrics.setRegistered(agentId);
      log.info('registered with orchestrator', { agentId, resumed, orchestratorAddr: config.orchestratorAddr });
    });
    // Out of reconnect attempts, before the first welcome (start() rejects) or later (an 'error' event).
    agent.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'RECONNECT_EXHAUSTED' || err.code === 'UNAUTHENTICATED') this.giveUp(err);
      else log.error('agent error', { err });
    });
    agent.start().then(
      () => log.info('worker ready', { agentId: agent.getAgentId(), tools: this.tools }),
      (err: unknown) => this.giveUp(err),
    );
    return this.finished;
  }

  /** Stops taking tasks and lets running ones finish within the shutdown timeout, then stops (exit 0). */
  drain(reason: string): void {
    if (this.stopping) return;
    const { config } = this.options.resolved;
    this.stateValue = 'draining';
    this.metrics.setDraining(true);
    this.log.info('draining, send again to force', {
      reason,
      timeoutMs: config.shutdownTimeoutMs,
      running: this.metrics.snapshot().runningTasks,
    });
    this.stopping = this.agent.drain({ timeoutMs: config.shutdownTimeoutMs }).then(
      () => this.log.info('drained'),
      (err: unknown) => {
        this.exitCode = 1;
        this.log.error('drain failed', { err });
      },
    );
    void this.stopping.then(() => this.finish());
  }

  /** Kills running tasks now. Not a clean drain, so the exit code is 1. */
  forceClose(reason: string): void {
    this.exitCode = 1;
    this.log.warn('forcing shutdown', { reason });
    const closing = this.agent
      .close({ force: true })
      .catch((err: unknown) => this.log.error('forced close failed', { err }));
    if (!this.stopping) {
      this.stopping = closing.then(() => undefined);
      void this.stopping.then(() => this.finish());
    }
  }

  /** Re-reads the policy file; on failure the previous policy stays in force. */
  reloadPolicy(): ReloadResult {
    const file = this.options.resolved.config.policy;
    const result = this.policy.store.reload();
    if (file === undefined) this.log.info('SIGHUP: no policy file configured; the default policy stays in force');
    else if (result.ok) this.log.info('SIGHUP: policy reloaded', { file });
    else
      this.log.error('SIGHUP: policy rejected; previous policy stays in force', { file, error: result.error.message });
    return result;
  }

  /**
   * The agent stopped for good. Expected endings are logged as one line without a stack: a refused
   * auth token exits 2 (a configuration error, retrying cannot fix it), running out of reconnect
   * attempts exits 1 and keeps the last cause (ENOENT, ECONNREFUSED, ...).
   */
  private giveUp(err: unknown): void {
    if (this.stopping) return;
    const e = err as { code?: unknown; message?: unknown; errno?: unknown };
    const orchestratorAddr = this.options.resolved.config.orchestratorAddr;
    const meta = { error: typeof e.message === 'string' ? e.message : String(err), code: e.code, errno: e.errno };
    if (e.code === 'UNAUTHENTICATED') {
      this.exitCode = 2;
      this.log.error(
        'the orchestrator refused the auth token; exiting: give the token `orchestrator serve --auth-token` was started with (--auth-token or WORKER_AUTH_TOKEN)',
        { ...meta, orchestratorAddr },
      );
    } else if (e.code === 'RECONNECT_EXHAUSTED' || e.code === 'SHUTDOWN') {
      this.exitCode = 1;
      this.log.error('worker could not connect to the orchestrator; giving up', { ...meta, orchestratorAddr });
    } else {
      this.exitCode = 1;
      this.log.error('worker could not connect to the orchestrator; giving up', { err, orchestratorAddr });
    }
    this.stopping = this.agent.close({ force: true }).catch(() => undefined);
    void this.stopping.then(() => this.finish());
  }

  private async finish(): Promise<void> {
    await this.executor.close().catch((err: unknown) => this.log.warn('executor close failed', { err }));
    this.policy.store.close();
    await this.statusServer?.close();
    this.stateValue = 'stopped';
    this.log.info('worker stopped', { exitCode: this.exitCode });
    this.options.logger.flush();
    clearInterval(this.keepAlive);
    this.resolveFinished?.(this.exitCode);
  }
}

function agentOptions(
  resolved: ResolvedWorkerConfig,
  handler: AgentOptions['handler'],
  logger: CliLogger,
  version: string,
  meter: PromMeter | undefined,
): AgentOptions {
  const { config } = resolved;
  const options: AgentOptions = {
    handler,
    address: config.orchestratorAddr,
    name: config.name,
    version,
    maxConcurrentTasks: config.maxConcurrentTasks,
    dialTimeoutMs: config.dialTimeoutMs,
    rpcTimeoutMs: config.rpcTimeoutMs,
    maxReceiveMessageBytes: config.maxRecvMsgSize,
    maxSendMessageBytes: config.maxSendMsgSize,
    reconnectIntervalMs: config.reconnectIntervalMs,
    reconnectMaxIntervalMs: Math.max(60_000, config.reconnectIntervalMs),
    reconnectMaxAttempts: config.reconnectMaxAttempts,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    keepaliveTimeMs: config.keepaliveIntervalMs,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    labels: config.labels,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
    ...(meter !== undefined ? { metrics: meter } : {}),
  };
  if (config.authToken !== undefined) options.bearerToken = config.authToken;
  if (config.tlsCa || config.tlsCert || config.tlsKey || config.tlsServerName) {
    options.tls = {
      ...(config.tlsCa ? { caFile: config.tlsCa } : {}),
      ...(config.tlsCert ? { certFile: config.tlsCert } : {}),
      ...(config.tlsKey ? { keyFile: config.tlsKey } : {}),
      ...(config.tlsServerName ? { serverName: config.tlsServerName } : {}),
    };
  }
  return options;
}
