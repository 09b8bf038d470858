/**
 * The MCP server both doors serve, on the SDK's low-level `Server`: the tool set is computed per request
 * (the local catalog, or whatever the fleet's workers offer now), so `tools/list` and `tools/call` are
 * answered by a backend rather than registered one by one. The server adds what is the same for both
 * doors: progress notifications when the client sent a progress token, the client's roots, the session a
 * call belongs to, and the rule that a tool failure is an `isError` result, never a protocol error.
 */
import { fileURLToPath } from 'node:url';
import { Server } from '@modelcontextprotocol/server';
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import type { Logger } from '../logger';
import type { CallSession } from './call-session';
import { ProgressReporter } from './progress-reporter';
import { META_PREFIX } from './tool-list';
import { errorResult } from './tool-result';

/** `_meta` key a client may set on `tools/call` to name its session explicitly (any protocol revision). */
export const SESSION_META = `${META_PREFIX}session`;

/** What a backend gets with each call, besides the tool's name and arguments. */
export interface McpCallContext {
  /** Aborted when the client cancels the call (`notifications/cancelled`) or the connection closes. */
  signal: AbortSignal;
  /** Present only when the client sent a progress token. */
  progress: ProgressReporter | undefined;
  /**
   * The client's roots as host paths, when it declared the roots capability and listed some (fetched once,
   * again after `notifications/roots/list_changed`); undefined when it has none to give.
   */
  clientRoots(): Promise<readonly string[] | undefined>;
  /**
   * The session the call belongs to: the `org.baaaht/session` `_meta` key (explicit), else
   * `mcp-<Mcp-Session-Id>` for a call in an MCP session (Streamable HTTP, 2025 revisions); undefined for a
   * sessionless call. The backend turns it into a baaaht session per call shape (`sessionForCall`).
   */
  session: CallSession | undefined;
}

/** Where the tools come from and how a call runs: the local executor or the hub. */
export interface McpToolBackend {
  listTools(): Tool[] | Promise<Tool[]>;
  /** Runs one call. Tool-level failures are `isError` results; a throw becomes an `INTERNAL` one. */
  callTool(name: string, args: Record<string, unknown> | undefined, ctx: McpCallContext): Promise<CallToolResult>;
}

export interface McpToolServerOptions {
  name: string;
  version: string;
  /** Shown to the client (and its model) at connect. @default none */
  instructions?: string;
  logger: Logger;
  /** How often output progress is reported at most. @default 1000 */
  progressIntervalMs?: number;
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The session of an MCP session's calls (made per shape by `sessionForCall`). */
export const sessionOfMcpSession = (mcpSessionId: string): string => `mcp-${mcpSessionId}`;

/** The explicit session handle of a call, or undefined; a malformed one is refused by the caller. */
function explicitSession(meta: Record<string, unknown> | undefined): string | undefined | Error {
  const value = meta?.[SESSION_META];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SESSION_ID.test(value))
    return new Error(`_meta.${SESSION_META} must be 1-100 characters of [A-Za-z0-9._:-]`);
  return value;
}

/** The client's `file://` roots as paths (other schemes cannot name a host directory, so they are ignored). */
function rootPaths(roots: readonly { uri: string }[]): string[] {
  const out: string[] = [];
  for (const { uri } of roots) {
    if (!uri.startsWith('file://')) continue;
    try {
      out.push(fileURLToPath(uri));
    } catch {
      // Not a local file URL (file://host/...): it names nothing this server can mount.
    }
  }
  return out;
}

/** A new server instance over `backend` (one per connection on stdio, one per session or request on HTTP). */
export function createMcpToolServer(backend: McpToolBackend, options: McpToolServerOptions): Server {
  const { logger } = options;
  const server = new Server(
    { name: options.name, version: options.version },
    {
      capabilities: { tools: {} },
      ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
    },
  );
  let roots: Promise<readonly string[] | undefined> | undefined;
  const clientRoots = (): Promise<readonly string[] | undefined> => {
    if (server.getClientCapabilities()?.roots === undefined) return Promise.resolve(undefined);
    roots ??= server.listRoots().then(
      // An empty list names no directory: it narrows nothing (the configured roots stay in force).
      (listed) => (listed.roots.length === 0 ? undefined : rootPaths(listed.roots)),
      // The 2026-07-28 revision has no roots/list request (roots are deprecated there): nothing narrows.
      // Kept as the answer until the client says its roots changed.
      (err: unknown) => {
        logger.debug('could not list the client roots; the configured workspace roots apply', {
          component: 'mcp',
          err: (err as Error).message,
        });
        return undefined;
      },
    );
    return roots;
  };
  server.setNotificationHandler('notifications/roots/list_changed', () => {
    roots = undefined;
  });
  const outputSchemas = new Map<string, Tool['outputSchema']>();

  server.setRequestHandler('tools/list', async () => {
    const tools = await backend.listTools();
    for (const t of tools) outputSchemas.set(t.name, t.outputSchema);
    return { tools };
  });

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args, _meta: meta } = request.params;
    const session = explicitSession(meta as Record<string, unknown> | undefined);
    if (session instanceof Error) return errorResult('INVALID_PARAMS', session.message);
    const token = ctx.mcpReq._meta?.progressToken;
    const progress =
      token === undefined
        ? undefined
        : new ProgressReporter(
            (update) =>
              void ctx.mcpReq
                .notify({ method: 'notifications/progress', params: { progressToken: token, ...update } })
                .catch((err: unknown) =>
                  logger.debug('progress notification not sent', { component: 'mcp', err: (err as Error).message }),
                ),
            options.progressIntervalMs !== undefined ? { outputIntervalMs: options.progressIntervalMs } : {},
          );
    let result: CallToolResult;
    try {
      result = await backend.callTool(name, args, {
        signal: ctx.mcpReq.signal,
        progress,
        clientRoots,
        session:
          session !== undefined
            ? { id: session, explicit: true }
            : ctx.sessionId !== undefined
              ? { id: sessionOfMcpSession(ctx.sessionId), explicit: false }
              : undefined,
      });
    } catch (err) {
      logger.error('tool call failed inside the server', { component: 'mcp', tool: name, err });
      result = errorResult('INTERNAL', `this is a bug: ${(err as Error).message ?? String(err)}`);
    }
    if (!outputSchemas.has(name)) {
      const listed = (await backend.listTools()).find((t) => t.name === name);
      outputSchemas.set(name, listed?.outputSchema);
    }
    return server.projectCallToolResult(result, outputSchemas.get(name));
  });
  return server;
}
