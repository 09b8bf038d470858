/**
 * How the CLI builds its executor: `worker run` and the worker process both go
 * through here, so they run tools identically.
 */
import { ExecutorError, createDockerClient, createExecutor, discoverDockerEngine } from '@baaaht/executor';
import type {
  DockerDiscovery,
  Executor,
  MetricMeter,
  PolicyEnforcer,
  PullPolicy,
  SessionOptions,
} from '@baaaht/executor';
import type { WorkerConfig } from './config-schema';
import { WorkerCliError } from './errors';
import type { Logger } from './logger';

export interface WorkerExecutorOptions {
  policy: PolicyEnforcer;
  sessionId: string;
  /** Labels this process's containers; the executor reaps orphans of a previous process with the same id. */
  workerId: string;
  logger: Logger;
  imageOverrides: Record<string, string>;
  pullPolicy: PullPolicy;
  runtime: string;
  maxConcurrentTasks: number;
  searchBackendUrl: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Written to each container's version label. */
  version?: string;
  /**
   * When a live worker on this host already has the name: an explicit `--name` is refused, a defaulted one
   * becomes `<name>-2`... (see the executor's `workerIdConflict`). @default 'share'
   */
  workerIdConflict?: 'share' | 'refuse' | 'suffix';
  /** Where the executor's `baaaht_executor_*` metrics go. @default none (the executor's no-op meter) */
  metrics?: MetricMeter;
  /** Executor sessions (`--sessions`, `--session-idle`, `--max-sessions`). @default disabled */
  sessions?: SessionOptions;
  /** The executor's warm pool (`--pool`, `--pool-idle`). @default the executor's (on, 30 s) */
  pool?: { enabled: boolean; idleMs: number };
}

/** What a long-lived process (the worker, `worker mcp`) takes from its configuration for its executor. */
export function configuredExecutorOptions(
  config: WorkerConfig,
  images: Record<string, string>,
  env: NodeJS.ProcessEnv,
): Pick<
  WorkerExecutorOptions,
  'imageOverrides' | 'pullPolicy' | 'runtime' | 'maxConcurrentTasks' | 'searchBackendUrl' | 'env' | 'sessions' | 'pool'
> {
  return {
    imageOverrides: images,
    pullPolicy: config.pullPolicy,
    runtime: config.runtime,
    maxConcurrentTasks: config.maxConcurrentTasks,
    searchBackendUrl: config.searchBackendUrl,
    env,
    sessions: { enabled: config.sessions, idleMs: config.sessionIdleMs, maxSessions: config.maxSessions },
    pool: { enabled: config.pool, idleMs: config.poolIdleMs },
  };
}

/**
 * The environment the executor gets: with the discovered engine's socket pinned as `DOCKER_HOST`, so the
 * executor's mount floor (which refuses the `DOCKER_HOST` socket and its ancestors) also covers a rootless
 * Docker or Podman socket that discovery chose.
 */
export function executorEnv(env: NodeJS.ProcessEnv, discovery: DockerDiscovery): NodeJS.ProcessEnv {
  if (discovery.strategy === 'docker-host-env' || !('socketPath' in discovery.connection)) return env;
  return { ...env, DOCKER_HOST: discovery.host };
}

/** Creates the executor; a Docker engine that does not answer is `DOCKER_UNAVAILABLE`, bad options `CONFIG_INVALID`. */
export async function createWorkerExecutor(options: WorkerExecutorOptions): Promise<Executor> {
  let discovery: DockerDiscovery | undefined;
  try {
    // The engine that answers (rootless Docker, Podman...), named in the log so an operator sees which it is.
    discovery = await discoverDockerEngine({ env: options.env });
    const { host, strategy, reason } = discovery;
    options.logger.info(`docker engine ${host} (${strategy})`, { component: 'worker', host, strategy, reason });
    return await createExecutor({
      docker: createDockerClient({ connection: discovery.connection, logger: options.logger }),
      policy: options.policy,
      sessionId: options.sessionId,
      workerId: options.workerId,
      logger: options.logger,
      imageOverrides: options.imageOverrides,
      pullPolicy: options.pullPolicy,
      runtime: options.runtime,
      maxConcurrentTasks: options.maxConcurrentTasks,
      env: executorEnv(options.env, discovery),
      ...(options.version !== undefined ? { version: options.version } : {}),
      ...(options.workerIdConflict !== undefined ? { workerIdConflict: options.workerIdConflict } : {}),
      ...(options.searchBackendUrl !== undefined ? { searchBackendUrl: options.searchBackendUrl } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(options.sessions !== undefined ? { sessions: options.sessions } : {}),
      ...(options.pool !== undefined ? { pool: options.pool } : {}),
    });
  } catch (err) {
    if (err instanceof TypeError) throw new WorkerCliError('CONFIG_INVALID', err.message, { cause: err });
    if (err instanceof ExecutorError && err.code === 'RUNTIME_UNAVAILABLE')
      throw new WorkerCliError('CONFIG_INVALID', err.message, { source: '--runtime', cause: err });
    if (err instanceof ExecutorError && err.code === 'WORKER_ID_IN_USE')
      throw new WorkerCliError('CONFIG_INVALID', err.message, { source: '--name', cause: err });
    if (err instanceof ExecutorError && err.code === 'INSTANCE_DIR_UNSAFE')
      throw new WorkerCliError('CONFIG_INVALID', err.message, { cause: err });
    if (err instanceof ExecutorError) {
      const where = discovery === undefined ? '' : ` at ${discovery.host} (${discovery.strategy})`;
      throw new WorkerCliError(
        'DOCKER_UNAVAILABLE',
        `${err.message}${where} (is dockerd running? try: worker doctor)`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}
