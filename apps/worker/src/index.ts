/**
 * @baaaht/worker: the worker CLI's building blocks. The package is an
 * application (bins `worker` and `orchestrator`); these exports exist for its
 * own tests and for embedders who want the same configuration rules.
 */
export { workerCli } from './worker-cli';
export { orchestratorCli } from './orchestrator-main';
export { runMain } from './cli-main';
export type { CliIo } from './cli-io';
export { resolveWorkerConfig } from './config';
export type { FlagValues, ResolveWorkerConfigOptions, ResolvedWorkerConfig } from './config';
export { OPTIONS, defaultWorkerConfig, envName, parseOptionValue } from './config-schema';
export type { LogFormat, LogLevel, OptionSpec, PullPolicy, WorkerConfig } from './config-schema';
export { parseDuration, formatDuration } from './durations';
export { parseSize } from './sizes';
export { WorkerCliError } from './errors';
export type { WorkerCliErrorCode, WorkerCliErrorOptions } from './errors';
export { createLogger, quietLogger } from './logger';
export type { CliLogger, CreateLoggerOptions, Logger } from './logger';
export { startStatusServer } from './status-server';
export type { StatusServer, StatusServerOptions } from './status-server';
export { WorkerMetrics } from './worker-metrics';
export { renderPrometheus } from './worker-instruments';
export { MetricConflictError, PromMeter, createProcessMeter } from './prom-meter';
export type { ConnectionState, RunningTaskSnapshot, WorkerStatusSnapshot } from './worker-metrics';
export { createExecutorTaskHandler } from './executor-task-handler';
export type { ExecutorTaskHandlerOptions } from './executor-task-handler';
export { WorkerProcess } from './worker-process';
export type { WorkerProcessOptions, WorkerProcessState } from './worker-process';
export { runDoctorChecks } from './commands/doctor-command';
export type { DoctorCheck } from './commands/doctor-command';
export type { TaskReport } from './task-output';
