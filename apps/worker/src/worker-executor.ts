/**
 * How the CLI builds its executor: `worker run` and the worker process both go
 * through here, so they run tools identically.
 */
import { ExecutorError, createExecutor } from '@baaaht/executor';
import type { Executor, MetricMeter, PolicyEnforcer, PullPolicy } from '@baaaht/executor';
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
}

/** Creates the executor; a Docker engine that does not answer is `DOCKER_UNAVAILABLE`, bad options `CONFIG_INVALID`. */
export async function createWorkerExecutor(options: WorkerExecutorOptions): Promise<Executor> {
  try {
    return await createExecutor({
      policy: options.policy,
      sessionId: options.sessionId,
      workerId: options.workerId,
      logger: options.logger,
      imageOverrides: options.imageOverrides,
      pullPolicy: options.pullPolicy,
      runtime: options.runtime,
      maxConcurrentTasks: options.maxConcurrentTasks,
      env: options.env,
      ...(options.version !== undefined ? { version: options.version } : {}),
      ...(options.workerIdConflict !== undefined ? { workerIdConflict: options.workerIdConflict } : {}),
      ...(options.searchBackendUrl !== undefined ? { searchBackendUrl: options.searchBackendUrl } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
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
      throw new WorkerCliError('DOCKER_UNAVAILABLE', `${err.message} (is dockerd running? try: worker doctor)`, {
        cause: err,
      });
    }
    throw err;
  }
}
