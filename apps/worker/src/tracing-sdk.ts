/**
 * The OpenTelemetry SDK set-up behind `startTracing` (tracing.ts), in a module of its own so that it, and
 * the SDK with it, is only loaded once tracing is asked for (lazy-modules.ts).
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { NodeSDK, resources } from '@opentelemetry/sdk-node';
import type { StartTracingOptions, Tracing } from './tracing';

/** How long shutdown waits for the last export by default: a collector that is down must not hold the exit. */
const SHUTDOWN_TIMEOUT_MS = 5000;

export function startTracingSdk(options: Required<StartTracingOptions>): Tracing {
  const { env, logger } = options;
  const log = logger.child({ component: 'tracing' });
  const sdk = new NodeSDK({
    // Defaults under the environment's: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win (resource detection).
    resource: resources
      .defaultResource()
      .merge(
        resources.resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.version }),
      ),
    // Traces only: the worker's metrics are Prometheus (--status-addr), its logs its own.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  // The SDK's own diagnostics (an export that failed) as warnings, unless OTEL_LOG_LEVEL asks for its console logger.
  if (env['OTEL_LOG_LEVEL'] === undefined) {
    const warn = (message: string, ...args: unknown[]): void =>
      log.warn(`opentelemetry: ${message}`, args.length > 0 ? { detail: args.map(String).join(' ') } : {});
    const quiet = (): void => undefined;
    diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  }
  sdk.start();
  log.info('tracing on', {
    exporter: env['OTEL_TRACES_EXPORTER'] ?? 'otlp',
    endpoint: env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'],
    protocol: env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf',
  });
  let stopping: Promise<void> | undefined;
  return {
    shutdown(timeoutMs = SHUTDOWN_TIMEOUT_MS) {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn('tracing: the last spans were not exported in time', { timeoutMs });
          resolve();
        }, timeoutMs);
        timer.unref();
        sdk.shutdown().then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (err: unknown) => {
            clearTimeout(timer);
            log.warn('tracing: shutdown failed', { error: String(err) });
            resolve();
          },
        );
      });
      return stopping;
    },
  };
}
