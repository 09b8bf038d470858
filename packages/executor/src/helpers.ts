import type { WebSearchResult } from '@baaaht/tool-specs';
import { ExecutorError } from './errors';
import type { Executor } from './executor';
import type { TaskRequest, TaskResult } from './task-types';

type Extra = Omit<TaskRequest, 'tool' | 'params' | 'args' | 'mountSource'>;

/** Turns a non-completed result into the typed error the seed's helpers returned. */
export function throwIfNotCompleted(result: TaskResult): TaskResult {
  if (result.status === 'completed') return result;
  const error = result.error ?? { code: 'INTERNAL' as const, message: `task ended with status ${result.status}` };
  const options: ConstructorParameters<typeof ExecutorError>[2] = { taskId: result.taskId, tool: result.tool };
  if (result.containerId !== null) options.containerId = result.containerId;
  if (error.detail !== undefined) options.detail = error.detail;
  throw new ExecutorError(error.code, error.message, options);
}

async function run(executor: Executor, request: TaskRequest): Promise<TaskResult> {
  return throwIfNotCompleted(await executor.executeTask(request));
}

/** Reads a workspace file; resolves with its content. */
export async function fileRead(
  executor: Executor,
  mountSource: string,
  path: string,
  extra: Extra = {},
): Promise<string> {
  return (await run(executor, { ...extra, tool: 'file_read', params: { path }, mountSource })).stdout;
}

/** Writes (creating parent directories) a workspace file; resolves with the tool's summary line. */
export async function fileWrite(
  executor: Executor,
  mountSource: string,
  path: string,
  content: string,
  extra: Extra = {},
): Promise<string> {
  return (await run(executor, { ...extra, tool: 'file_write', params: { path, content }, mountSource })).stdout;
}

/** Lists a workspace directory (one entry per line: mode, size, mtime, workspace-relative path). */
export async function listFiles(
  executor: Executor,
  mountSource: string,
  path = '.',
  extra: Extra = {},
): Promise<string> {
  return (await run(executor, { ...extra, tool: 'list', params: { path }, mountSource })).stdout;
}

/** Fetches a URL through the egress proxy; resolves with the body. */
export async function fetchUrl(executor: Executor, url: string, extra: Extra = {}): Promise<string> {
  return (await run(executor, { ...extra, tool: 'fetch_url', params: { url } })).stdout;
}

/** Searches through the configured backend; resolves with the parsed results. */
export async function webSearch(executor: Executor, query: string, extra: Extra = {}): Promise<WebSearchResult[]> {
  const result = await run(executor, { ...extra, tool: 'web_search', params: { query } });
  return (result.structured as { results: WebSearchResult[] } | undefined)?.results ?? [];
}
