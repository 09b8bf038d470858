/**
 * The libraries' `MetricMeter` backed by prom-client: the executor, the agent and the hub create their
 * instruments through it, and `/metrics` is the text of its one `Registry`. One meter (one registry)
 * per process, so a scrape sees every library's metrics next to the process's own.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HistogramDefinition, MetricDefinition, MetricMeter } from '@baaaht/executor';

type MetricCounter = ReturnType<MetricMeter['counter']>;
type MetricGauge = ReturnType<MetricMeter['gauge']>;
type MetricHistogram = ReturnType<MetricMeter['histogram']>;
type MetricLabels = Parameters<MetricCounter['add']>[1];

/** The content type of `registry.metrics()`: Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

type InstrumentKind = 'counter' | 'gauge' | 'histogram';

interface Instrument {
  kind: InstrumentKind;
  labelNames: readonly string[];
  buckets: readonly number[] | undefined;
  handle: MetricCounter | MetricGauge | MetricHistogram;
}

/**
 * A definition that contradicts one already on the registry (another kind, other labels or buckets,
 * or a name the application registered itself). A bug in whoever asked, never an operator's mistake.
 */
export class MetricConflictError extends Error {
  override name = 'MetricConflictError';

  constructor(
    readonly metric: string,
    message: string,
  ) {
    super(`metric ${metric}: ${message}`);
  }
}

export class PromMeter implements MetricMeter {
  private readonly instruments = new Map<string, Instrument>();

  /** @param registry where the instruments go; @default a new one */
  constructor(readonly registry: Registry = new Registry()) {}

  /** Asking twice for the same definition returns the same instrument. */
  counter(definition: MetricDefinition): MetricCounter {
    return this.instrument('counter', definition, undefined, (labelNames) => {
      const counter = new Counter({ ...base(definition, labelNames), registers: [this.registry] });
      return { add: (value, labels) => counter.inc(plain(labels), value) };
    }) as MetricCounter;
  }

  gauge(definition: MetricDefinition): MetricGauge {
    return this.instrument('gauge', definition, undefined, (labelNames) => {
      const gauge = new Gauge({ ...base(definition, labelNames), registers: [this.registry] });
      return { set: (value, labels) => gauge.set(plain(labels), value) };
    }) as MetricGauge;
  }

  histogram(definition: HistogramDefinition): MetricHistogram {
    return this.instrument('histogram', definition, definition.buckets, (labelNames) => {
      const histogram = new Histogram({
        ...base(definition, labelNames),
        ...(definition.buckets !== undefined ? { buckets: [...definition.buckets] } : {}),
        registers: [this.registry],
      });
      return { record: (value, labels) => histogram.observe(plain(labels), value) };
    }) as MetricHistogram;
  }

  /** The registry's Prometheus text. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private instrument(
    kind: InstrumentKind,
    definition: MetricDefinition,
    buckets: readonly number[] | undefined,
    create: (labelNames: string[]) => Instrument['handle'],
  ): Instrument['handle'] {
    const labelNames = [...(definition.labelNames ?? [])];
    const known = this.instruments.get(definition.name);
    if (known !== undefined) {
      if (known.kind !== kind)
        throw new MetricConflictError(definition.name, `asked for a ${kind}, already defined as a ${known.kind}`);
      if (!sameSet(known.labelNames, labelNames))
        throw new MetricConflictError(
          definition.name,
          `asked with labels [${labelNames.join(', ')}], already defined with [${known.labelNames.join(', ')}]`,
        );
      if (buckets !== undefined && known.buckets !== undefined && !sameList(known.buckets, buckets))
        throw new MetricConflictError(
          definition.name,
          `asked with buckets [${buckets.join(', ')}], already defined with [${known.buckets.join(', ')}]`,
        );
      return known.handle;
    }
    if (this.registry.getSingleMetric(definition.name) !== undefined)
      throw new MetricConflictError(definition.name, 'already registered on the registry outside this meter');
    const handle = create(labelNames);
    this.instruments.set(definition.name, { kind, labelNames, buckets, handle });
    return handle;
  }
}

/**
 * The meter of a process: a fresh registry with prom-client's process metrics (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, heap, GC, handles...) already on it.
 */
export function createProcessMeter(): PromMeter {
  const meter = new PromMeter();
  collectDefaultMetrics({ register: meter.registry });
  return meter;
}

function base(
  definition: MetricDefinition,
  labelNames: string[],
): { name: string; help: string; labelNames: string[] } {
  return { name: definition.name, help: definition.help, labelNames };
}

/** prom-client wants a mutable object; the meter's labels are read-only. */
function plain(labels: MetricLabels | undefined): Record<string, string> {
  return labels === undefined ? {} : { ...labels };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
