/**
 * A metric meter for tests: keeps every sample so a test can assert what a library emitted.
 * Structurally the `MetricMeter` that the executor, agent and hub accept.
 */
export type RecordedLabels = Readonly<Record<string, string>>;

export interface RecordedSample {
  kind: 'counter' | 'gauge' | 'histogram';
  name: string;
  value: number;
  labels: RecordedLabels;
}

interface Definition {
  name: string;
  help: string;
  labelNames?: readonly string[];
  buckets?: readonly number[];
}

export class RecordingMeter {
  readonly samples: RecordedSample[] = [];
  readonly definitions = new Map<string, Definition & { kind: RecordedSample['kind'] }>();

  counter(definition: Definition): { add(value: number, labels?: RecordedLabels): void } {
    this.define('counter', definition);
    return { add: (value, labels) => this.push('counter', definition, value, labels) };
  }

  gauge(definition: Definition): { set(value: number, labels?: RecordedLabels): void } {
    this.define('gauge', definition);
    return { set: (value, labels) => this.push('gauge', definition, value, labels) };
  }

  histogram(definition: Definition): { record(value: number, labels?: RecordedLabels): void } {
    this.define('histogram', definition);
    return { record: (value, labels) => this.push('histogram', definition, value, labels) };
  }

  /** The sum of a counter's samples whose labels include `labels`. */
  total(name: string, labels: RecordedLabels = {}): number {
    return this.matching(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  /** The last value set on a gauge with labels including `labels`, or undefined. */
  last(name: string, labels: RecordedLabels = {}): number | undefined {
    return this.matching(name, labels).at(-1)?.value;
  }

  /** Every value recorded into a histogram with labels including `labels`. */
  values(name: string, labels: RecordedLabels = {}): number[] {
    return this.matching(name, labels).map((s) => s.value);
  }

  private matching(name: string, labels: RecordedLabels): RecordedSample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  private define(kind: RecordedSample['kind'], definition: Definition): void {
    const known = this.definitions.get(definition.name);
    if (known && known.kind !== kind) throw new Error(`metric ${definition.name} defined as ${known.kind} and ${kind}`);
    this.definitions.set(definition.name, { ...definition, kind });
  }

  private push(kind: RecordedSample['kind'], d: Definition, value: number, labels: RecordedLabels = {}): void {
    for (const key of Object.keys(labels)) {
      if (!(d.labelNames ?? []).includes(key)) throw new Error(`metric ${d.name}: label ${key} was not declared`);
    }
    if (!Number.isFinite(value)) throw new Error(`metric ${d.name}: value ${value} is not finite`);
    this.samples.push({ kind, name: d.name, value, labels });
  }
}
