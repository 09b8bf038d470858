/**
 * The agent's span: `baaaht.task` (kind CONSUMER), from accepting an assignment to reporting its outcome,
 * a child of the hub's dispatch span (the assignment's `trace_context`). The handler runs in it as the
 * active context, so the executor's spans are its children. A no-op, with no API loaded, unless the
 * application installed an OpenTelemetry SDK (see `otelApi` in @baaaht/proto).
 */
import type { Attributes } from '@opentelemetry/api';
import { contextFromCarrier, otelApi } from '@baaaht/proto';
import type { AgentTask, TaskOutcome } from './task-handler';

/** One task's span, or nothing when tracing is off. */
export interface TaskSpan {
  /** Runs `fn` with the span as the active context. */
  run<T>(fn: () => T): T;
  /** Records the outcome (status, exit code, error: an exception event and status ERROR) and ends the span. */
  end(outcome: TaskOutcome): void;
}

const UNTRACED: TaskSpan = { run: (fn) => fn(), end: () => undefined };

export function startTaskSpan(task: AgentTask): TaskSpan {
  const otel = otelApi();
  if (otel === undefined) return UNTRACED;
  const parent = contextFromCarrier(otel, task.traceContext ?? {});
  const attributes: Attributes = {
    'baaaht.task.id': task.taskId,
    'baaaht.tool': task.tool,
    'baaaht.task.attempt': task.attempt,
  };
  if (task.sessionId) attributes['baaaht.session.id'] = task.sessionId;
  const span = otel.trace
    .getTracer('@baaaht/agent')
    .startSpan('baaaht.task', { kind: otel.SpanKind.CONSUMER, attributes }, parent);
  const active = otel.trace.setSpan(parent, span);
  return {
    run: (fn) => otel.context.with(active, fn),
    end(outcome) {
      span.setAttributes({ 'baaaht.outcome': outcome.status, 'baaaht.exit_code': outcome.exitCode });
      if (outcome.status !== 'completed') {
        const error = outcome.error ?? { code: outcome.status.toUpperCase(), message: outcome.status };
        span.setAttribute('error.type', error.code);
        span.recordException({ name: error.code, message: error.message });
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    },
  };
}
