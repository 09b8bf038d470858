import { Agent } from '@baaaht/agent';
import type { AgentOptions, ConnectionState as AgentConnectionState } from '@baaaht/agent';
import type { CliIo } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { WorkerCliError } from '../errors';
import { createExecutorTaskHandler } from '../executor-task-handler';
import { createWorkerExecutor } from '../executor-port';
import { createLogger } from '../logger';
import { createWorkerPolicy } from '../policy-setup';
import { startStatusServer } from '../status-server';
import type { StatusServer } from '../status-server';
import { workerCatalog } from '../tool-catalog';
import { workerVersion } from '../version';
import { WorkerMetrics } from '../worker-metrics';
import type { ConnectionState } from '../worker-metrics';

const STATE_NAMES: Record<AgentConnectionState, ConnectionState> = {
  Idle: 'idle',
  Connecting: 'connecting',
  Ready: 'ready',
  TransientFailure: 'transient_failure',
  Shutdown: 'shutdown',
};

/**
 * The worker itself: policy, executor, agent and status server, wired
 * together; resolves with the exit code once it has shut down.
 * SIGINT/SIGTERM drain (a second one forces), SIGHUP reloads the policy.
 */
export async function runServeCommand(resolved: ResolvedWorkerConfig, io: CliIo): Promise<number> {
  const { config } = resolved;
  const version = workerVersion();
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    output: config.logOutput,
    base: { worker: config.name },
  });
  const log = logger.child({ component: 'worker' });
  log.info('starting worker', {
    version,
    orchestratorAddr: config.orchestratorAddr,
    configFile: resolved.configFile,
    policy: config.policy ?? 'default',
    workspaceRoots: config.workspaceRoots,
    maxConcurrentTasks: config.maxConcurrentTasks,
  });

  const { catalog, images } = workerCatalog(
    config.toolImages,
    resolved.sources.toolImages === 'default' ? '--tool-image' : resolved.sources.toolImages,
  );
  const policy = createWorkerPolicy({
    file: config.policy,
    workspaceRoots: config.workspaceRoots,
    env: io.env,
    logger,
  });
  const executor = await createWorkerExecutor({
    policy: policy.enforcer,
    sessionId: config.name,
    workerId: config.name,
    logger,
    imageOverrides: images,
    pullPolicy: config.pullPolicy,
    runtime: config.runtime,
    maxConcurrentTasks: config.maxConcurrentTasks,
    searchBackendUrl: config.searchBackendUrl,
    env: io.env,
  });
  const metrics = new WorkerMetrics({ name: config.name, version });
  const handler = createExecutorTaskHandler({
    executor,
    tools: catalog.all().map((s) => s.name),
    logger: logger.child({ component: 'task' }),
    metrics,
  });

  const agentOptions: AgentOptions = {
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
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
  };
  if (config.authToken !== undefined) agentOptions.bearerToken = config.authToken;
  if (config.tlsCa || config.tlsCert || config.tlsKey || config.tlsServerName) {
    agentOptions.tls = {
      ...(config.tlsCa ? { caFile: config.tlsCa } : {}),
      ...(config.tlsCert ? { certFile: config.tlsCert } : {}),
      ...(config.tlsKey ? { keyFile: config.tlsKey } : {}),
      ...(config.tlsServerName ? { serverName: config.tlsServerName } : {}),
    };
  }
  let agent: Agent;
  try {
    agent = Agent.create(agentOptions);
  } catch (err) {
    await executor.close().catch(() => undefined);
    if (err instanceof TypeError) throw new WorkerCliError('CONFIG_INVALID', err.message, { cause: err });
    throw err;
  }
  agent.on('state', (next: AgentConnectionState) => {
    metrics.setConnection(STATE_NAMES[next] ?? 'idle');
    metrics.setReconnects(agent.metrics().reconnects);
    log.debug('connection state', { state: STATE_NAMES[next] });
  });
  agent.on('registered', (agentId: string, resumed: boolean) => {
    metrics.setRegistered(agentId);
    log.info('registered with orchestrator', { agentId, resumed, orchestratorAddr: config.orchestratorAddr });
  });

  let statusServer: StatusServer | undefined;
  const snapshot = (): ReturnType<WorkerMetrics['snapshot']> => {
    const m = executor.metrics();
    metrics.setEgress({ allowed: m.egressAllowed, denied: m.egressDenied });
    return metrics.snapshot();
  };
  if (config.statusAddr !== undefined) {
    statusServer = await startStatusServer({
      address: config.statusAddr,
      snapshot,
      ready: () => metrics.ready,
      logger,
    });
    log.info('status server ready', { address: `${statusServer.address.host}:${statusServer.address.port}` });
  }

  return new Promise<number>((resolve) => {
    // The agent's backoff timers do not hold the event loop open; the worker must stay up between reconnects.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let stopping: Promise<void> | undefined;
    let signals = 0;
    let exitCode = 0;
    const finish = async (): Promise<void> => {
      io.signals.off('SIGINT', onStop);
      io.signals.off('SIGTERM', onStop);
      io.signals.off('SIGHUP', onReload);
      await executor.close().catch((err: unknown) => log.warn('executor close failed', { err }));
      policy.store.close();
      await statusServer?.close();
      log.info('worker stopped', { exitCode });
      logger.flush();
      clearInterval(keepAlive);
      resolve(exitCode);
    };
    const onStop = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        metrics.setDraining(true);
        log.info('draining, send again to force', {
          signal,
          timeoutMs: config.shutdownTimeoutMs,
          running: metrics.snapshot().runningTasks,
        });
        stopping = agent.drain({ timeoutMs: config.shutdownTimeoutMs }).then(
          () => log.info('drained'),
          (err: unknown) => {
            exitCode = 1;
            log.error('drain failed', { err });
          },
        );
        void stopping.then(finish);
      } else if (signals === 2) {
        // A forced stop is not a clean drain: say so in the exit code.
        exitCode = 1;
        log.warn('forcing shutdown', { signal });
        void agent.close({ force: true }).catch((err: unknown) => log.error('forced close failed', { err }));
      }
    };
    const onReload = (): void => {
      const result = policy.store.reload();
      if (!config.policy) log.info('SIGHUP: no policy file configured; the default policy stays in force');
      else if (result.ok) log.info('SIGHUP: policy reloaded', { file: config.policy });
      else
        log.error('SIGHUP: policy rejected; previous policy stays in force', {
          file: config.policy,
          error: result.error.message,
        });
    };
    io.signals.on('SIGINT', onStop);
    io.signals.on('SIGTERM', onStop);
    io.signals.on('SIGHUP', onReload);

    // Out of reconnect attempts, before the first welcome (start() rejects) or later (an 'error' event).
    const giveUp = (err: unknown): void => {
      if (stopping) return;
      exitCode = 1;
      log.error('worker could not connect to the orchestrator; giving up', {
        err,
        orchestratorAddr: config.orchestratorAddr,
      });
      stopping = agent.close({ force: true }).catch(() => undefined);
      void stopping.then(finish);
    };
    agent.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'RECONNECT_EXHAUSTED') giveUp(err);
      else log.error('agent error', { err });
    });
    agent.start().then(() => log.info('worker ready', { agentId: agent.getAgentId(), tools: handler.tools() }), giveUp);
  });
}
