/**
 * Metrics hooks, shaped like Temporal's `MetricMeter`: the library creates its instruments once and
 * records into them; the embedder decides where they go (the worker and the orchestrator back this
 * with prom-client). No-op by default, so a library costs nothing when nobody listens.
 *
 * Names follow Prometheus conventions (`baaaht_<component>_<what>_<unit>`); durations are seconds.
 * The same interface is declared by each library that emits (executor, agent, hub), so none of them
 * depends on another for it; TypeScript's structural typing makes one implementation fit all.
 */
export type MetricLabels = Readonly<Record<string, string>>;

export interface MetricDefinition {
  name: string;
  help: string;
  /** Every label a sample may carry. @default none */
  labelNames?: readonly string[];
}

export interface HistogramDefinition extends MetricDefinition {
  /** Upper bounds, in the metric's unit. @default the meter's own */
  buckets?: readonly number[];
}

export interface MetricCounter {
  add(value: number, labels?: MetricLabels): void;
}

export interface MetricGauge {
  set(value: number, labels?: MetricLabels): void;
}

export interface MetricHistogram {
  record(value: number, labels?: MetricLabels): void;
}

export interface MetricMeter {
  counter(definition: MetricDefinition): MetricCounter;
  gauge(definition: MetricDefinition): MetricGauge;
  histogram(definition: HistogramDefinition): MetricHistogram;
}

const ignore = (): void => undefined;

/** The default meter: records nothing. */
export const noopMeter: MetricMeter = Object.freeze({
  counter: () => ({ add: ignore }),
  gauge: () => ({ set: ignore }),
  histogram: () => ({ record: ignore }),
});
