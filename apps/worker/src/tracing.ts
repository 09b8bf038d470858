/**
 * Tracing for `worker` and `orchestrator serve`: the OpenTelemetry SDK (`@opentelemetry/sdk-node`),
 * configured by the standard `OTEL_*` variables, exporting OTLP. The libraries (hub, agent, executor)
 * emit their spans through the OpenTelemetry API and stay no-ops until this installs the SDK.
 *
 * When it is on (decided here, documented in the README's "Tracing"): the spec's default for
 * `OTEL_TRACES_EXPORTER` is `otlp`, but a worker nobody asked to trace must not load the SDK (several MB
 * of resident memory, against the idle budget) nor send to a collector that is not there. So tracing is
 * on only when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`, ...), or an OTLP endpoint is
 * given (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); never with
 * `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`. Everything else (protocol, headers, sampler,
 * batch sizes, resource attributes, propagators) the SDK reads from the environment itself.
 */
import type { CliLogger } from './logger';
import { loadTracingSdk } from './lazy-modules';

/** A started SDK. */
export interface Tracing {
  /** Exports what is buffered and stops, within `timeoutMs`; never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const set = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/** Whether the environment asks for traces (see the module comment). */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (exporters.includes('none')) return false;
  return (
    exporters.length > 0 || set(env['OTEL_EXPORTER_OTLP_ENDPOINT']) || set(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])
  );
}

export interface StartTracingOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` names one. */
  serviceName: string;
  /** `service.version`. */
  version: string;
  /** Decides whether to start; the SDK reads its settings from `process.env`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Gets a line when tracing starts and the SDK's own warnings and errors (failed exports). */
  logger: CliLogger;
}

/** Starts the SDK when the environment asks for it (`tracingRequested`); undefined when it does not. */
export function startTracing(options: StartTracingOptions): Tracing | undefined {
  const env = options.env ?? process.env;
  if (!tracingRequested(env)) return undefined;
  return loadTracingSdk().startTracingSdk({ ...options, env });
}
