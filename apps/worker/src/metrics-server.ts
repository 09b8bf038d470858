/** The orchestrator's HTTP metrics listener (`orchestrator serve --metrics-listen`): `/metrics` and `/healthz`. */
import type { Registry } from 'prom-client';
import { startHttpEndpoints, textResponse } from './http-endpoints';
import type { HttpEndpoints } from './http-endpoints';
import type { Logger } from './logger';
import { PROMETHEUS_CONTENT_TYPE } from './prom-meter';

export interface MetricsServerOptions {
  /** `host:port`; the host defaults to 127.0.0.1, port 0 picks a free one. */
  address: string;
  /** `/metrics` is its text. */
  registry: Registry;
  logger: Logger;
}

export function startMetricsServer(options: MetricsServerOptions): Promise<HttpEndpoints> {
  const { registry } = options;
  return startHttpEndpoints({
    address: options.address,
    source: '--metrics-listen',
    logger: options.logger,
    component: 'metrics',
    routes: {
      '/healthz': () => textResponse(200, 'ok\n'),
      '/metrics': async () => ({ status: 200, type: PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() }),
    },
  });
}
