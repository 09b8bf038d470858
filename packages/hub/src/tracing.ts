/**
 * The hub's OpenTelemetry spans, in each task's own trace: `baaaht.submit` (the submission), then per
 * dispatch `baaaht.queue` (from (re)queueing to dispatch) and `baaaht.dispatch` (the assignment sent to a
 * worker), both children of the submit span. The submit span's context is kept in the task's assignment
 * (`trace_context`, stored with the task, so a restarted hub continues the trace); the dispatch span's
 * context goes to the worker in the assignment it receives. No-ops (and no API loaded) unless the
 * application installed an SDK: see `otelApi` in @baaaht/proto.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { carrierFromContext, contextFromCarrier, otelApi } from '@baaaht/proto';
import type { TaskAssignment, TraceCarrier } from '@baaaht/proto';

const TRACER = '@baaaht/hub';

function taskAttributes(assignment: TaskAssignment): Attributes {
  const attributes: Attributes = { 'baaaht.task.id': assignment.taskId, 'baaaht.tool': assignment.tool };
  if (assignment.sessionId) attributes['baaaht.session.id'] = assignment.sessionId;
  return attributes;
}

const nonEmpty = (carrier: TraceCarrier): boolean => Object.keys(carrier).length > 0;

/**
 * Runs a submission inside its `baaaht.submit` span, a child of the submitter's trace: `submitted` (the
 * submission's `traceContext`) when it has one, else the active context. Before `run`, the assignment's
 * `traceContext` becomes the submit span's; without tracing it keeps what the submitter sent, so a
 * submitter's trace still reaches the worker through an untraced hub.
 */
export function traceSubmit<T>(assignment: TaskAssignment, run: (span: { created(created: boolean): void }) => T): T {
  const otel = otelApi();
  if (otel === undefined) return run({ created: () => undefined });
  const submitted = assignment.traceContext;
  const parent = nonEmpty(submitted) ? contextFromCarrier(otel, submitted) : otel.context.active();
  const span = otel.trace
    .getTracer(TRACER)
    .startSpan('baaaht.submit', { kind: otel.SpanKind.PRODUCER, attributes: taskAttributes(assignment) }, parent);
  const own = carrierFromContext(otel, otel.trace.setSpan(parent, span));
  if (nonEmpty(own)) assignment.traceContext = own;
  try {
    return otel.context.with(otel.trace.setSpan(parent, span), () =>
      run({ created: (created) => span.setAttribute('baaaht.task.created', created) }),
    );
  } catch (err) {
    failed(otel, span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** The active context's trace-context headers (a traced submitter's span); empty when nothing traces. */
export function activeTraceContext(): TraceCarrier {
  const otel = otelApi();
  return otel === undefined ? {} : carrierFromContext(otel, otel.context.active());
}

/** What a dispatch span records. */
export interface DispatchFacts {
  assignment: TaskAssignment;
  attempt: number;
  /** How long the task waited in the queue, on the hub's clock. */
  waitedMs: number;
  agentId: string;
  workerName: string;
}

/**
 * Records the task's wait in the queue (`baaaht.queue`, ending now) and runs `send` inside its
 * `baaaht.dispatch` span, handing it the trace context the worker gets: the dispatch span's, or the
 * stored one when nothing traces here.
 */
export function traceDispatch(facts: DispatchFacts, send: (traceContext: TraceCarrier) => void): void {
  const { assignment } = facts;
  const otel = otelApi();
  if (otel === undefined) return send(assignment.traceContext);
  const parent = contextFromCarrier(otel, assignment.traceContext);
  const tracer = otel.trace.getTracer(TRACER);
  const attributes = { ...taskAttributes(assignment), 'baaaht.task.attempt': facts.attempt };
  const now = Date.now();
  tracer
    .startSpan(
      'baaaht.queue',
      {
        attributes: { ...attributes, 'baaaht.queue.wait_ms': facts.waitedMs },
        startTime: new Date(now - facts.waitedMs),
      },
      parent,
    )
    .end(new Date(now));
  const span = tracer.startSpan(
    'baaaht.dispatch',
    {
      kind: otel.SpanKind.PRODUCER,
      attributes: { ...attributes, 'baaaht.worker.id': facts.agentId, 'baaaht.worker.name': facts.workerName },
    },
    parent,
  );
  const own = carrierFromContext(otel, otel.trace.setSpan(parent, span));
  try {
    send(nonEmpty(own) ? own : assignment.traceContext);
  } catch (err) {
    failed(otel, span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** An exception event and status ERROR. */
function failed(otel: typeof OtelApi, span: Span, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  span.recordException(err instanceof Error ? err : message);
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message });
}
