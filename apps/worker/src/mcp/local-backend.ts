/**
 * The stdio door's backend: the catalog this worker can run, each call through the local executor (the
 * same executor, policy and images as `worker run`), with no orchestrator.
 */
import { randomUUID } from 'node:crypto';
import type { Executor, TaskEvent } from '@baaaht/executor';
import type { ToolCatalog } from '@baaaht/tool-specs';
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import type { CliLogger } from '../logger';
import { errorReport, toTaskReport } from '../task-output';
import { sessionForCall } from './call-session';
import type { ProgressReporter } from './progress-reporter';
import type { McpCallContext, McpToolBackend } from './tool-server';
import { mcpToolsOf, splitArguments } from './tool-list';
import { errorResult, toCallToolResult } from './tool-result';
import { chooseWorkspace } from './workspace-choice';

export interface LocalBackendOptions {
  executor: Pick<Executor, 'executeTask'>;
  catalog: ToolCatalog;
  /**
   * Tools this worker cannot run, with why and how to fix it: not listed, and a call says why. A promise
   * (the start-up image check) lets the server answer the handshake at once; listing waits for it.
   * @default none
   */
  unavailable?: ReadonlyMap<string, string> | Promise<ReadonlyMap<string, string>>;
  /** `--workspace-root` directories: the workspaces a call may name, the default when there is one. */
  workspaceRoots: readonly string[];
  /**
   * The session of calls that name none, when executor sessions are on (the whole stdio connection is one
   * client; made per call shape by `sessionForCall`). @default none (each call in a fresh container)
   */
  defaultSession?: string;
  logger: CliLogger;
}

/** The executor's events as progress steps and output. */
export function reportExecutorEvent(progress: ProgressReporter, event: TaskEvent): void {
  if (event.type === 'queued') progress.step('queued: waiting for a free slot');
  else if (event.type === 'started')
    progress.step(
      `container ${event.containerId.slice(0, 12)} started${event.step > 0 ? ` (step ${event.step + 1})` : ''}`,
    );
  else if (event.type === 'stdout' || event.type === 'stderr') progress.output(event.chunk.length);
}

export function createLocalBackend(options: LocalBackendOptions): McpToolBackend {
  const { catalog, executor, logger } = options;
  const listing = Promise.resolve(options.unavailable ?? new Map<string, string>()).then((unavailable) => ({
    unavailable,
    tools: mcpToolsOf(
      catalog.all().filter((s) => !unavailable.has(s.name)),
      { workspaceRoots: options.workspaceRoots },
    ),
  }));
  return {
    listTools: async (): Promise<Tool[]> => (await listing).tools,
    async callTool(name, args, ctx: McpCallContext): Promise<CallToolResult> {
      const { unavailable, tools } = await listing;
      const why = unavailable.get(name);
      if (why !== undefined) return errorResult('TOOL_UNAVAILABLE', why);
      if (!catalog.has(name))
        return errorResult(
          'UNKNOWN_TOOL',
          `no tool named ${JSON.stringify(name)} (tools: ${tools.map((t) => t.name).join(', ')})`,
        );
      const spec = catalog.get(name);
      const { params, workspace } = splitArguments(spec, args);
      let mountSource: string | undefined;
      if (spec.workspace !== 'none') {
        const choice = chooseWorkspace(workspace, options.workspaceRoots, await ctx.clientRoots());
        if (!choice.ok) return errorResult(choice.code, choice.message, 'workspace');
        mountSource = choice.path;
      }
      const taskId = `mcp-${randomUUID()}`;
      const session =
        ctx.session ??
        (options.defaultSession !== undefined ? { id: options.defaultSession, explicit: false } : undefined);
      const sessionId = sessionForCall(session, spec, mountSource);
      const log = logger.child({ component: 'mcp', taskId, tool: name });
      log.info('tool call', { mountSource, sessionId });
      try {
        const result = await executor.executeTask({
          tool: name,
          params,
          taskId,
          signal: ctx.signal,
          ...(mountSource !== undefined ? { mountSource } : {}),
          ...(sessionId !== undefined ? { sessionId } : {}),
          onEvent: (event) => {
            if (ctx.progress !== undefined) reportExecutorEvent(ctx.progress, event);
          },
        });
        log.info('tool call finished', {
          status: result.status,
          errorCode: result.error?.code,
          durationMs: result.durationMs,
        });
        return toCallToolResult(toTaskReport(name, result), spec);
      } catch (err) {
        // The executor reports task failures as results; a throw is operational (Docker down, executor closed).
        const e = err as { code?: unknown; message?: unknown };
        const code = typeof e.code === 'string' ? e.code : 'ERROR';
        log.warn('tool call could not run', { errorCode: code, err: e.message });
        return toCallToolResult(errorReport(name, code, String(e.message ?? err)), spec);
      }
    },
  };
}
