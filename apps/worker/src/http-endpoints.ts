/**
 * A small read-only HTTP listener for operational endpoints: the worker's status server (`--status-addr`)
 * and the orchestrator's metrics listener (`--metrics-listen`) are both this, with different routes.
 * The host defaults to 127.0.0.1, so nothing listens publicly unless the address names another host.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { configError, usageError } from './errors';
import type { Logger } from './logger';

/** One answer; `body` is omitted on HEAD. */
export interface EndpointResponse {
  status: number;
  type: string;
  body: string;
}

/** Called per request; may be async (a prom-client scrape is). */
export type EndpointRoute = () => EndpointResponse | Promise<EndpointResponse>;

export interface HttpEndpointsOptions {
  /** `host:port` (or `:port` for 127.0.0.1); port 0 picks a free one. */
  address: string;
  /** Where the address came from, named in errors: `--status-addr`, `--metrics-listen`. */
  source: string;
  /** Path → answer; anything else is 404 listing these paths. */
  routes: Readonly<Record<string, EndpointRoute>>;
  logger: Logger;
  /** Logged as `component`, and in `<component> server listening`. */
  component: string;
}

export interface HttpEndpoints {
  /** The bound address (useful with port 0). */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** Splits `host:port` (or `[v6]:port`); the host defaults to 127.0.0.1 so nothing listens publicly by accident. */
export function parseHostPort(address: string, source = '--status-addr'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw usageError(`invalid address ${JSON.stringify(address)} (expected host:port)`, source);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export const textResponse = (status: number, body: string): EndpointResponse => ({
  status,
  type: 'text/plain',
  body,
});

export async function startHttpEndpoints(options: HttpEndpointsOptions): Promise<HttpEndpoints> {
  const { logger, routes, component } = options;
  const { host, port } = parseHostPort(options.address, options.source);
  const paths = Object.keys(routes).join(', ');
  const answer = async (method: string | undefined, url: string): Promise<EndpointResponse> => {
    if (method !== 'GET' && method !== 'HEAD') return textResponse(405, 'method not allowed\n');
    const route = Object.hasOwn(routes, url) ? routes[url] : undefined;
    if (route === undefined) return textResponse(404, `not found: try ${paths}\n`);
    try {
      return await route();
    } catch (err) {
      logger.error(`${component} request failed`, { component, url, err });
      return textResponse(500, 'internal error\n');
    }
  };
  const server = http.createServer((req, res) => {
    void answer(req.method, (req.url ?? '/').split('?')[0] ?? '/').then(({ status, type, body }) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(configError(options.source, `cannot listen on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  logger.info(`${component} server listening`, { component, address: `${bound.address}:${bound.port}` });
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
