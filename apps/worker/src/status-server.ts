/** The worker's HTTP status endpoints (`--status-addr`): `/healthz`, `/readyz`, `/metrics`, `/status.json`. */
import { Registry } from 'prom-client';
import { startHttpEndpoints, textResponse } from './http-endpoints';
import type { HttpEndpoints } from './http-endpoints';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import { PROMETHEUS_CONTENT_TYPE } from './prom-meter';
import { registerWorkerInstruments } from './worker-instruments';
import type { WorkerStatusSnapshot } from './worker-metrics';

export { parseHostPort } from './http-endpoints';

export interface StatusServerOptions {
  /** `host:port`; port 0 picks a free one. */
  address: string;
  /** Called per request; must be cheap. */
  snapshot: () => WorkerStatusSnapshot;
  /** Ready means connected, registered and not draining. */
  ready: () => boolean;
  /**
   * The process's registry (the libraries' metrics, the process metrics): `/metrics` is its text, with the
   * worker's own `baaaht_worker_*` added, read from `snapshot`. @default a registry of its own
   */
  registry?: Registry;
  /** @default quiet */
  logger?: Logger;
}

/** The worker's HTTP status endpoints: `/healthz`, `/readyz`, `/metrics`, `/status.json`. */
export type StatusServer = HttpEndpoints;

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const registry = options.registry ?? new Registry();
  registerWorkerInstruments(registry, options.snapshot);
  return startHttpEndpoints({
    address: options.address,
    source: '--status-addr',
    logger: options.logger ?? quietLogger,
    component: 'status',
    routes: {
      '/healthz': () => textResponse(200, 'ok\n'),
      '/readyz': () =>
        options.ready()
          ? textResponse(200, 'ready\n')
          : textResponse(503, `not ready: ${notReadyReason(options.snapshot())}\n`),
      '/metrics': async () => ({ status: 200, type: PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() }),
      '/status.json': () => ({
        status: 200,
        type: 'application/json',
        body: JSON.stringify({ ready: options.ready(), ...options.snapshot() }, null, 2) + '\n',
      }),
    },
  });
}

function notReadyReason(s: WorkerStatusSnapshot): string {
  if (s.draining) return 'draining';
  if (s.connection !== 'ready') return `connection ${s.connection}`;
  return 'not registered';
}
