import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The spans a test collected, with the questions tests ask about them. */
export interface SpanCollector {
  /** Every span ended so far, in end order. */
  spans(): ReadableSpan[];
  /** The spans whose `baaaht.task.id` attribute is `taskId`, and every span below them (container spans carry no id). */
  ofTask(taskId: string): ReadableSpan[];
  /** Forgets the spans collected so far. */
  reset(): void;
  /** Unregisters the provider, context manager and propagator (the API falls back to no-ops). */
  stop(): Promise<void>;
}

/**
 * Installs an OpenTelemetry SDK for the test file: the global tracer provider with an in-memory exporter
 * (each span exported as it ends), the AsyncLocalStorage context manager and the W3C trace-context
 * propagator, as the worker's and the orchestrator's own set-up do. The libraries find it through the API.
 */
export function collectSpans(): SpanCollector {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  return {
    spans,
    ofTask(taskId) {
      const all = spans();
      const ids = new Set(
        all.filter((s) => s.attributes['baaaht.task.id'] === taskId).map((s) => s.spanContext().spanId),
      );
      // Children of the task's spans, transitively (a container span names its container, not the task).
      for (let grew = true; grew;) {
        grew = false;
        for (const s of all) {
          const parent = s.parentSpanContext?.spanId;
          if (parent !== undefined && ids.has(parent) && !ids.has(s.spanContext().spanId)) {
            ids.add(s.spanContext().spanId);
            grew = true;
          }
        }
      }
      return all.filter((s) => ids.has(s.spanContext().spanId));
    },
    reset: () => exporter.reset(),
    async stop() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The span's parent span id, undefined for a root. */
export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

export type { ReadableSpan };
