/**
 * `orchestrator serve --mcp-listen HOST:PORT`: the fleet's tools over MCP Streamable HTTP at `/mcp`, on the
 * official SDK. One endpoint serves both eras: 2026-07-28 requests go to the SDK's per-request handler
 * (`createMcpHandler`), 2025-era traffic to a sessionful transport per MCP session (`Mcp-Session-Id`),
 * whose calls map to one baaaht session (warm on a worker with sessions; independent otherwise) that is
 * closed when the MCP session ends. The gRPC API's bearer token guards every request; the listener follows
 * the gRPC listener's rule (TCP without TLS only on loopback, unless `--insecure`); on a loopback bind the
 * Host and Origin headers must be local (DNS rebinding).
 *
 * Life: `listening` -> `closing` (`close()`: sessions closed, in-flight calls aborted) -> `closed`.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { assessListener, isLoopbackHost } from '@baaaht/hub';
import type { Hub, HubTlsOptions } from '@baaaht/hub';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  hostHeaderValidationResponse,
  isInitializeRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import type { Server } from '@modelcontextprotocol/server';
import { configError, usageError } from '../errors';
import { parseHostPort } from '../http-endpoints';
import type { CliLogger } from '../logger';
import { workerCatalog } from '../tool-catalog';
import { belongsTo } from './call-session';
import { createHubBackend } from './hub-backend';
import { createMcpToolServer, sessionOfMcpSession } from './tool-server';

export interface McpHttpOptions {
  /** `host:port` (`:port` is 127.0.0.1); port 0 picks a free one. */
  address: string;
  hub: Pick<Hub, 'submit' | 'cancel' | 'workers' | 'sessions' | 'closeSession'>;
  /** The gRPC API's token, required as `Authorization: Bearer <token>`. @default none */
  bearerToken?: string;
  /** The gRPC listener's certificate and key (and client CA): serve HTTPS. @default none (HTTP) */
  tls?: HubTlsOptions;
  /** Allow HTTP off loopback, or on loopback without a token. @default false */
  insecure?: boolean;
  /** `--mcp-workspace-root`: directories a call may mount (on the workers' hosts). @default [] */
  workspaceRoots?: readonly string[];
  /** MCP sessions (2025-era clients) kept at most; the least recently used one is closed beyond. @default 256 */
  maxSessions?: number;
  version: string;
  logger: CliLogger;
}

export interface McpHttpServer {
  /** `http://127.0.0.1:PORT/mcp` (the real port). */
  readonly url: string;
  close(): Promise<void>;
}

interface McpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
}

const jsonRpcError = (status: number, code: number, message: string, headers: Record<string, string> = {}): Response =>
  Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status, headers });

function authorized(expected: string | undefined, header: string | null): boolean {
  if (expected === undefined) return true;
  const a = Buffer.from(header ?? '');
  const b = Buffer.from(`Bearer ${expected}`);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The gRPC listener's rule, with what exposing this endpoint means. */
function checkListener(host: string, port: number, options: McpHttpOptions): string | undefined {
  const bindTarget = `${host}:${port}`;
  const verdict = assessListener(
    { kind: 'tcp', host, port, bindTarget },
    {
      tls: options.tls !== undefined,
      bearerToken: options.bearerToken !== undefined,
      insecure: options.insecure === true,
    },
  );
  const exposure = `${isLoopbackHost(host) ? 'any local user or process' : 'anyone who can reach it'} can run every tool on every worker`;
  if (!verdict.allowed) {
    const fix = isLoopbackHost(host)
      ? 'give --auth-token (or --tls-cert/--tls-key), or --insecure to accept the risk'
      : 'give --tls-cert/--tls-key, or --insecure to accept the risk';
    throw usageError(
      `refusing to serve MCP on ${bindTarget} without ${options.bearerToken === undefined ? 'TLS or a token' : 'TLS'}: ${exposure}; ${fix}`,
      '--mcp-listen',
    );
  }
  return verdict.warning === undefined ? undefined : `insecure MCP listener on ${bindTarget}: ${exposure}`;
}

export async function startMcpHttp(options: McpHttpOptions): Promise<McpHttpServer> {
  const { hub, logger } = options;
  const { host, port } = parseHostPort(options.address, '--mcp-listen');
  const warning = checkListener(host, port, options);
  if (warning !== undefined) logger.warn(warning, { component: 'mcp' });
  const log = logger.child({ component: 'mcp' });
  const backend = createHubBackend({
    hub,
    catalog: workerCatalog({}).catalog,
    workspaceRoots: options.workspaceRoots ?? [],
    logger,
  });
  const newServer = (): Server =>
    createMcpToolServer(backend, {
      name: 'baaaht-orchestrator',
      version: options.version,
      instructions:
        'baaaht runs each tool call as a task on a connected worker, in a fresh, locked-down container. ' +
        'Workspace tools take `workspace`, a directory on the workers’ hosts.',
      logger,
    });
  const modern = createMcpHandler(newServer, {
    legacy: 'reject',
    onerror: (err) => log.debug('mcp request rejected', { err: err.message }),
  });
  const sessions = new Map<string, McpSession>();
  const maxSessions = options.maxSessions ?? 256;

  const endSession = (id: string): void => {
    if (!sessions.delete(id)) return;
    const base = sessionOfMcpSession(id);
    // Only sessions a worker holds have anything to close (workers without sessions hold none).
    const held = hub.sessions().filter((s) => belongsTo(s.sessionId, base));
    log.info('mcp session ended', { mcpSessionId: id, closing: held.map((s) => s.sessionId) });
    for (const s of held) void hub.closeSession(s.sessionId, { reason: 'MCP session ended' }).catch(() => undefined);
  };

  const legacy = async (request: Request): Promise<Response> => {
    const id = request.headers.get('mcp-session-id');
    if (id !== null) {
      const session = sessions.get(id);
      if (session === undefined) return jsonRpcError(404, -32001, 'Session not found');
      sessions.delete(id);
      sessions.set(id, session); // most recently used last
      return session.transport.handleRequest(request);
    }
    const body: unknown =
      request.method === 'POST'
        ? await request
            .clone()
            .json()
            .catch(() => undefined)
        : undefined;
    const initializing = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
    if (!initializing) return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    if (sessions.size >= maxSessions) {
      const oldest = sessions.keys().next().value as string;
      log.warn('too many MCP sessions: closing the least recently used', { mcpSessionId: oldest, maxSessions });
      void sessions.get(oldest)?.transport.close();
      endSession(oldest);
    }
    const server = newServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => {
        sessions.set(sid, { transport, server });
        log.info('mcp session started', { mcpSessionId: sid });
      },
      onsessionclosed: (sid) => endSession(sid),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) endSession(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  };

  const loopback = isLoopbackHost(host);
  const route = async (request: Request): Promise<Response> => {
    if (loopback) {
      const refused =
        hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
        originValidationResponse(request, localhostAllowedOrigins());
      if (refused !== undefined) return refused;
    }
    if (!authorized(options.bearerToken, request.headers.get('authorization')))
      return jsonRpcError(401, -32001, 'missing or invalid bearer token', { 'www-authenticate': 'Bearer' });
    if (new URL(request.url).pathname !== '/mcp') return jsonRpcError(404, -32601, 'not found: the endpoint is /mcp');
    return (await isLegacyRequest(request)) ? legacy(request) : modern.fetch(request);
  };

  const handle = toNodeHandler(
    { fetch: route },
    { onerror: (err) => log.warn('mcp request failed', { err: err.message }) },
  );
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => void handle(req, res);
  const tls = options.tls;
  const server =
    tls === undefined
      ? http.createServer(listener)
      : https.createServer(
          {
            cert: tls.cert ?? fs.readFileSync(tls.certFile as string),
            key: tls.key ?? fs.readFileSync(tls.keyFile as string),
            ...(tls.ca !== undefined || tls.caFile !== undefined
              ? {
                  ca: tls.ca ?? fs.readFileSync(tls.caFile as string),
                  requestCert: true,
                  rejectUnauthorized: tls.requireClientCert ?? true,
                }
              : {}),
          },
          listener,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(configError('--mcp-listen', `cannot listen on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `${tls === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${bound}/mcp`;
  log.info('mcp listening', { url });
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        for (const [id, s] of [...sessions]) {
          await s.transport.close().catch(() => undefined);
          endSession(id);
        }
        await modern.close().catch(() => undefined);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
