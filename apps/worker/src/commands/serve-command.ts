import type { CliIo } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { createLogger, logColor } from '../logger';
import { startTracing } from '../tracing';
import { workerVersion } from '../version';
import { WorkerProcess } from '../worker-process';

/**
 * `worker` with no subcommand: runs the worker until it stops and returns its
 * exit code. First SIGINT/SIGTERM drains, a second forces; SIGHUP reloads the policy.
 */
export async function runServeCommand(resolved: ResolvedWorkerConfig, io: CliIo): Promise<number> {
  const { config } = resolved;
  const version = workerVersion();
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    output: config.logOutput,
    color: logColor(config.logOutput, io),
    base: { worker: config.name },
  });
  logger.child({ component: 'worker' }).info('starting worker', {
    version,
    orchestratorAddr: config.orchestratorAddr,
    configFile: resolved.configFile,
    policy: config.policy ?? 'default',
    workspaceRoots: config.workspaceRoots,
    maxConcurrentTasks: config.maxConcurrentTasks,
  });
  // Before the worker exists, so its first task is traced; only when OTEL_* asks for it (tracing.ts).
  const tracing = startTracing({ serviceName: 'baaaht-worker', version, env: io.env, logger });
  let worker: WorkerProcess;
  try {
    worker = await WorkerProcess.create({ resolved, env: io.env, logger, version });
  } catch (err) {
    await tracing?.shutdown();
    throw err;
  }
  const onStop = (signal: NodeJS.Signals): void => {
    if (worker.state === 'running') worker.drain(signal);
    else if (worker.state === 'draining') worker.forceClose(signal);
  };
  const onReload = (): void => void worker.reloadPolicy();
  io.signals.on('SIGINT', onStop);
  io.signals.on('SIGTERM', onStop);
  io.signals.on('SIGHUP', onReload);
  try {
    return await worker.run();
  } finally {
    io.signals.off('SIGINT', onStop);
    io.signals.off('SIGTERM', onStop);
    io.signals.off('SIGHUP', onReload);
    // The spans of the last tasks (and of the drain) go out before the process exits.
    await tracing?.shutdown();
  }
}
