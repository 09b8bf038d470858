/**
 * The `trace_context` field of a task assignment: the OpenTelemetry context of the task's trace as text-map
 * headers (W3C `traceparent` and `tracestate` with the default propagator; `baggage` if used), written and
 * read through the application's global propagator.
 *
 * The OpenTelemetry API is loaded only once something has registered with it (an SDK, a propagator): until
 * then every span and every propagation would be a no-op, and a process nobody traces keeps the memory.
 * Every 1.x copy of the API keeps its registrations under the one global `Symbol.for('opentelemetry.js.api.1')`,
 * so its absence means exactly that nothing is registered.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

/** Text-map propagation headers: the wire's `TaskAssignment.trace_context`. */
export type TraceCarrier = Record<string, string>;

const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
let api: typeof OtelApi | undefined;

/** The OpenTelemetry API once anything registered a global with it; undefined while nothing has (no tracing). */
export function otelApi(): typeof OtelApi | undefined {
  if (api === undefined && (globalThis as Record<symbol, unknown>)[API_GLOBAL] !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see the module comment
    api = require('@opentelemetry/api') as typeof OtelApi;
  }
  return api;
}

/** The context a carrier describes (a remote parent span, baggage), on top of the root context. */
export function contextFromCarrier(otel: typeof OtelApi, carrier: TraceCarrier): Context {
  return otel.propagation.extract(otel.ROOT_CONTEXT, carrier);
}

/** The headers that carry `context` on; empty when no propagator is registered or it holds no span. */
export function carrierFromContext(otel: typeof OtelApi, context: Context): TraceCarrier {
  const carrier: TraceCarrier = {};
  otel.propagation.inject(context, carrier);
  return carrier;
}
