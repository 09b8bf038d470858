/**
 * The executor's OpenTelemetry spans. Each task is a `baaaht.execute` span, a child of the caller's active
 * context (the agent's task span in the worker), with `baaaht.policy` (the policy decision),
 * `baaaht.slot_wait`, `baaaht.image` and one `baaaht.step` per command under it; under a step, the runtime's
 * `container.create`, `container.start`, `container.run`, `container.stop` and `container.remove`. Parents
 * are passed explicitly (a span's `context`), so the tree does not depend on a context manager following
 * every callback. Task id, tool and outcome are attributes; a failure is an exception event and status
 * ERROR.
 *
 * Through the OpenTelemetry API, so no-ops unless the application installed an SDK; and the API is loaded
 * only once something registered with it (its globals live under `Symbol.for('opentelemetry.js.api.1')` for
 * every 1.x copy): an executor nobody traces loads none of it.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { TaskResult } from './task-types';

const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const TRACER = '@baaaht/executor';
let loaded: typeof OtelApi | undefined;

function otel(): typeof OtelApi | undefined {
  if (loaded === undefined && (globalThis as Record<symbol, unknown>)[API_GLOBAL] !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see the module comment
    loaded = require('@opentelemetry/api') as typeof OtelApi;
  }
  return loaded;
}

/** One span, or nothing at all when tracing is off. */
export interface TraceSpan {
  /** The span's context: the parent of its children. Undefined when tracing is off. */
  readonly context: Context | undefined;
  child(name: string, attributes?: Attributes): TraceSpan;
  set(attributes: Attributes): void;
  event(name: string, attributes?: Attributes): void;
  /** Records `error` (an exception event, `error.type` = its code, status ERROR) and ends the span. */
  fail(error: unknown, attributes?: Attributes): void;
  end(attributes?: Attributes): void;
}

export const UNTRACED: TraceSpan = {
  context: undefined,
  child: () => UNTRACED,
  set: () => undefined,
  event: () => undefined,
  fail: () => undefined,
  end: () => undefined,
};

/** A stable word for what failed: an error's `code`, a stop request's `reason`, else its name. */
function errorType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return typeof error;
  const e = error as { code?: unknown; reason?: unknown; name?: unknown };
  for (const v of [e.code, e.reason, e.name]) if (typeof v === 'string' && v !== '') return v;
  return 'Error';
}

function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : errorType(error);
}

function wrap(api: typeof OtelApi, span: Span, parent: Context): TraceSpan {
  const context = api.trace.setSpan(parent, span);
  return {
    context,
    child: (name, attributes) =>
      wrap(api, api.trace.getTracer(TRACER).startSpan(name, { attributes }, context), context),
    set: (attributes) => void span.setAttributes(attributes),
    event: (name, attributes) => void span.addEvent(name, attributes),
    fail(error, attributes) {
      const type = errorType(error);
      span.setAttributes({ ...attributes, 'error.type': type });
      span.recordException({ name: type, message: errorMessage(error) });
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: errorMessage(error) });
      span.end();
    },
    end(attributes) {
      if (attributes !== undefined) span.setAttributes(attributes);
      span.end();
    },
  };
}

/** A task's root span, a child of the active context (the caller's span, if any). */
export function startTaskSpan(name: string, attributes: Attributes): TraceSpan {
  const api = otel();
  if (api === undefined) return UNTRACED;
  const parent = api.context.active();
  return wrap(api, api.trace.getTracer(TRACER).startSpan(name, { attributes }, parent), parent);
}

/** A child of the span whose context `parent` is; nothing without one (an untraced step starts no spans). */
export function childSpan(parent: Context | undefined, name: string, attributes?: Attributes): TraceSpan {
  const api = otel();
  if (api === undefined || parent === undefined) return UNTRACED;
  return wrap(api, api.trace.getTracer(TRACER).startSpan(name, { attributes }, parent), parent);
}

/** Adds attributes to the span whose context `context` is (a runtime saying how it ran a step). */
export function annotate(context: Context | undefined, attributes: Attributes): void {
  if (context !== undefined) otel()?.trace.getSpan(context)?.setAttributes(attributes);
}

/** Runs `fn` in a child span of `parent`, failing the span with what `fn` throws. */
export async function traced<T>(
  parent: Context | undefined,
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  const span = childSpan(parent, name, attributes);
  try {
    const value = await fn();
    span.end();
    return value;
  } catch (err) {
    span.fail(err);
    throw err;
  }
}

/** Ends a task's span with its result: the outcome, and for anything but `completed` its error. */
export function endTaskSpan(span: TraceSpan, result: TaskResult): void {
  const attributes: Attributes = { 'baaaht.outcome': result.status, 'baaaht.duration_ms': result.durationMs };
  if (typeof result.exitCode === 'number') attributes['baaaht.exit_code'] = result.exitCode;
  if (result.containerId) attributes['container.id'] = result.containerId;
  if (result.status === 'completed') span.end(attributes);
  else span.fail(result.error ?? { code: result.status.toUpperCase(), message: result.status }, attributes);
}
