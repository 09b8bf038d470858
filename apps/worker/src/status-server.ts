import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { configError, usageError } from './errors';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import { renderPrometheus } from './worker-metrics';
import type { WorkerStatusSnapshot } from './worker-metrics';

export interface StatusServerOptions {
  /** `host:port`; port 0 picks a free one. */
  address: string;
  /** Called per request; must be cheap. */
  snapshot: () => WorkerStatusSnapshot;
  /** Ready means connected, registered and not draining. */
  ready: () => boolean;
  /** @default quiet */
  logger?: Logger;
}

/** The worker's HTTP status endpoints: `/healthz`, `/readyz`, `/metrics`, `/status.json`. */
export interface StatusServer {
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

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const logger = options.logger ?? quietLogger;
  const { host, port } = parseHostPort(options.address);
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    try {
      switch (url) {
        case '/healthz':
          return send(200, 'text/plain', 'ok\n');
        case '/readyz':
          return options.ready()
            ? send(200, 'text/plain', 'ready\n')
            : send(503, 'text/plain', `not ready: ${notReadyReason(options.snapshot())}\n`);
        case '/metrics':
          return send(200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(options.snapshot()));
        case '/status.json':
          return send(
            200,
            'application/json',
            JSON.stringify({ ready: options.ready(), ...options.snapshot() }, null, 2) + '\n',
          );
        default:
          return send(404, 'text/plain', 'not found: try /healthz, /readyz, /metrics, /status.json\n');
      }
    } catch (err) {
      logger.error('status request failed', { url, err });
      return send(500, 'text/plain', 'internal error\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(configError('--status-addr', `cannot listen on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  logger.info('status server listening', { component: 'status', address: `${bound.address}:${bound.port}` });
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function notReadyReason(s: WorkerStatusSnapshot): string {
  if (s.draining) return 'draining';
  if (s.connection !== 'ready') return `connection ${s.connection}`;
  return 'not registered';
}
