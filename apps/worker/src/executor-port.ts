/**
 * The slice of `@baaaht/executor` the CLI uses, in one place: `worker run`,
 * the worker's task handler and `doctor` all go through here, so an API change
 * in the executor is absorbed by this file alone.
 */
import * as executorModule from '@baaaht/executor';
import type { PolicyEnforcer } from '@baaaht/executor';
import { WorkerCliError } from './errors';
import type { Logger } from './logger';

/** What the executor streams while a task runs. */
export type ExecutorEvent =
  | { type: 'started'; containerId: string }
  | { type: 'stdout' | 'stderr'; data: Uint8Array | string }
  | { type: string; [key: string]: unknown };

export interface ExecuteRequest {
  tool: string;
  params?: Record<string, unknown>;
  args?: string[];
  mountSource?: string;
  timeoutMs?: number;
  taskId?: string;
  signal?: AbortSignal;
  onEvent?: (event: ExecutorEvent) => void;
}

export interface ExecuteResult {
  taskId: string;
  tool: string;
  status: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  containerId?: string;
  structured?: unknown;
  stopMode?: 'graceful' | 'force';
  error?: { code: string; message: string };
  stdoutDroppedBytes?: number;
  stderrDroppedBytes?: number;
}

export interface ExecutorHandle {
  executeTask(request: ExecuteRequest): Promise<ExecuteResult>;
  cancelTask(taskId: string, options?: { force?: boolean }): unknown;
  close(): Promise<void>;
}

export interface WorkerExecutorOptions {
  policy: PolicyEnforcer;
  sessionId: string;
  workerId: string;
  logger: Logger;
  imageOverrides: Record<string, string>;
  pullPolicy: 'always' | 'if-missing' | 'never';
  runtime: string;
  maxConcurrentTasks: number;
  searchBackendUrl: string | undefined;
  env: NodeJS.ProcessEnv;
}

type CreateExecutor = (options: Record<string, unknown>) => ExecutorHandle | Promise<ExecutorHandle>;

export async function createWorkerExecutor(options: WorkerExecutorOptions): Promise<ExecutorHandle> {
  const create = (executorModule as unknown as { createExecutor?: CreateExecutor }).createExecutor;
  if (typeof create !== 'function') {
    throw new WorkerCliError('INTERNAL', '@baaaht/executor does not export createExecutor (is the package built?)');
  }
  const opts: Record<string, unknown> = {
    policy: options.policy,
    sessionId: options.sessionId,
    workerId: options.workerId,
    logger: options.logger,
    imageOverrides: options.imageOverrides,
    pullPolicy: options.pullPolicy,
    runtime: options.runtime,
    maxConcurrentTasks: options.maxConcurrentTasks,
    env: options.env,
  };
  if (options.searchBackendUrl !== undefined) opts['searchBackendUrl'] = options.searchBackendUrl;
  return create(opts);
}
