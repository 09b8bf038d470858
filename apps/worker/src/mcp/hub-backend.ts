/**
 * The orchestrator door's backend: the tools connected workers offer (with who offers them and their
 * free slots), each call submitted to the hub as a task and waited for; the task's events become progress,
 * the client's cancellation becomes CancelTask, and the result becomes the MCP result.
 */
import { randomUUID } from 'node:crypto';
import type { Hub } from '@baaaht/hub';
import type { Agent, TaskEvent } from '@baaaht/proto';
import { formatIssues } from '@baaaht/tool-specs';
import type { ToolCatalog } from '@baaaht/tool-specs';
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import { reportFromFinished } from '../hub-results';
import type { CliLogger } from '../logger';
import { sessionForCall } from './call-session';
import type { ProgressReporter } from './progress-reporter';
import type { McpCallContext, McpToolBackend } from './tool-server';
import { META_PREFIX, mcpToolsOf, splitArguments } from './tool-list';
import { errorResult, toCallToolResult } from './tool-result';
import { chooseWorkspace } from './workspace-choice';

/** `_meta` key of a listed tool's availability: `{ workers: string[], freeSlots: number }`. */
export const AVAILABILITY_META = `${META_PREFIX}availability`;

export interface HubBackendOptions {
  hub: Pick<Hub, 'submit' | 'cancel' | 'workers'>;
  /** The catalog the orchestrator knows (schemas for what the workers name). */
  catalog: ToolCatalog;
  /** `--mcp-workspace-root`: directories (on the workers' hosts) a call may mount. @default [] (any; the workers' policies judge) */
  workspaceRoots?: readonly string[];
  logger: CliLogger;
}

/** Workers that can take a call now: connected and not draining. */
const takingWork = (workers: readonly Agent[]): Agent[] => workers.filter((w) => w.connected && !w.draining);

/** The workers offering each tool, by tool name. */
function offers(workers: readonly Agent[]): Map<string, Agent[]> {
  const byTool = new Map<string, Agent[]>();
  for (const w of takingWork(workers))
    for (const tool of w.capabilities?.supportedTools ?? []) byTool.set(tool, [...(byTool.get(tool) ?? []), w]);
  return byTool;
}

/** The hub's task events as progress: assignment, the worker's container, output, requeues. */
function reportHubEvent(progress: ProgressReporter, event: TaskEvent, names: (agentId: string) => string): void {
  const p = event.payload;
  if (p === undefined) return;
  if (p.$case === 'assigned')
    progress.step(`assigned to worker ${names(p.value.agentId)} (attempt ${p.value.attempt})`);
  else if (p.$case === 'progress' && p.value.containerId !== '')
    progress.step(`container ${p.value.containerId.slice(0, 12)} ${p.value.message || 'running'}`);
  else if (p.$case === 'output') progress.output(p.value.data.length);
  else if (p.$case === 'requeued') progress.step(`requeued: ${p.value.reason}`);
}

export function createHubBackend(options: HubBackendOptions): McpToolBackend {
  const { hub, catalog, logger } = options;
  const roots = options.workspaceRoots ?? [];
  const listed = (): Tool[] => {
    const byTool = offers(hub.workers());
    const specs = catalog.all().filter((s) => byTool.has(s.name));
    return mcpToolsOf(specs, {
      workspaceRoots: roots,
      meta: (tool) => {
        const workers = byTool.get(tool) ?? [];
        return {
          [AVAILABILITY_META]: {
            workers: workers.map((w) => w.name),
            freeSlots: workers.reduce((n, w) => n + Math.max(0, w.freeSlots), 0),
          },
        };
      },
    });
  };
  return {
    listTools: listed,
    async callTool(name, args, ctx: McpCallContext): Promise<CallToolResult> {
      if (!catalog.has(name)) return errorResult('UNKNOWN_TOOL', `no tool named ${JSON.stringify(name)}`);
      const workers = hub.workers();
      if (!offers(workers).has(name)) {
        const connected = takingWork(workers).map((w) => w.name);
        return errorResult(
          'TOOL_UNAVAILABLE',
          `no connected worker offers ${name} (${connected.length === 0 ? 'no worker is connected' : `connected: ${connected.join(', ')}`})`,
        );
      }
      const spec = catalog.get(name);
      const { params, workspace } = splitArguments(spec, args);
      const checked = catalog.validate(name, params);
      if (!checked.ok) return errorResult(checked.error.code, formatIssues(checked.errors));
      let mountSource: string | undefined;
      if (spec.workspace !== 'none') {
        const choice = chooseWorkspace(workspace, roots, await ctx.clientRoots(), { onThisHost: false });
        if (!choice.ok) return errorResult(choice.code, choice.message, 'workspace');
        mountSource = choice.path;
      }
      const sessionId = sessionForCall(ctx.session, spec, mountSource);
      const taskId = `mcp-${randomUUID()}`;
      const log = logger.child({ component: 'mcp', taskId, tool: name });
      const names = (agentId: string): string => hub.workers().find((w) => w.id === agentId)?.name ?? agentId;
      const cancel = (): void => {
        log.info('cancelling: the MCP client cancelled the call');
        try {
          hub.cancel(taskId, { reason: 'cancelled by the MCP client' });
        } catch (err) {
          log.warn('cancel failed', { err: (err as Error).message });
        }
      };
      try {
        const handle = hub.submit({
          taskId,
          tool: name,
          params,
          ...(mountSource !== undefined ? { mountSource } : {}),
          ...(sessionId !== undefined ? { sessionId } : {}),
        });
        log.info('tool call submitted', { mountSource, sessionId });
        ctx.signal.addEventListener('abort', cancel, { once: true });
        if (ctx.signal.aborted) cancel();
        for await (const event of handle.events)
          if (ctx.progress !== undefined) reportHubEvent(ctx.progress, event, names);
        const finished = await handle.result;
        return toCallToolResult({ ...reportFromFinished(name, finished), taskId }, spec);
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        const code = typeof e.code === 'string' ? e.code : 'ERROR';
        log.warn('tool call could not run', { errorCode: code, err: e.message });
        return errorResult(code, String(e.message ?? err));
      } finally {
        ctx.signal.removeEventListener('abort', cancel);
      }
    },
  };
}
