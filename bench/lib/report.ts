import type { BenchConfig } from './config';
import type { Summary } from './stats';

/** One row of an interleaved comparison: its statistics and its ratio of medians to the case's reference. */
export type Row = Summary & { vsReference?: number };

export interface Ratio {
  value: number;
  target?: string;
  met?: boolean;
}

/** One section of the results. */
export interface CaseResult {
  name: string;
  /** Unit of the rows' samples; `ms` unless said. */
  unit?: string;
  /** The row every other row's `vsReference` is relative to (the cold executor where the case has one). */
  reference?: string;
  summaries?: Record<string, Row>;
  ratios?: Record<string, Ratio>;
  values?: Record<string, number | string | boolean>;
  notes?: string[];
}

/** Adds each row's ratio of medians to `reference`. */
export function withReference(summaries: Record<string, Summary>, reference: string): Record<string, Row> {
  const ref = summaries[reference];
  if (ref === undefined) throw new Error(`bench: no reference row ${reference}`);
  return Object.fromEntries(
    Object.entries(summaries).map(([k, s]) => [k, { ...s, vsReference: s.median / ref.median }]),
  );
}

export function targetRatio(value: number, target: string): Ratio {
  const m = /^(<=|>=)\s*([\d.]+)$/.exec(target);
  if (m === null) throw new Error(`bench: bad target ${target}`);
  const bound = Number(m[2]);
  return { value, target, met: m[1] === '<=' ? value <= bound : value >= bound };
}

export type Machine = Record<string, string | number>;

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);

function rowsTable(c: CaseResult, lines: string[]): void {
  const ref = c.reference === undefined ? '' : ` | x ${c.reference}`;
  lines.push(
    `| variant (${c.unit ?? 'ms'}) | n | min | median | p95 | max${ref} |`,
    `| --- | ---: | ---: | ---: | ---: | ---:${c.reference === undefined ? '' : ' | ---:'} |`,
  );
  for (const [k, s] of Object.entries(c.summaries ?? {})) {
    const x = c.reference === undefined ? '' : ` | ${fmt(s.vsReference, 2)}`;
    lines.push(`| ${k} | ${s.n} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.max)}${x} |`);
  }
  lines.push('');
}

/** The headline table: every measured row of every case, with its ratio to its case's reference. */
function headline(results: CaseResult[], lines: string[]): void {
  lines.push('## All rows', '');
  lines.push(
    '| case | variant | unit | n | median | p95 | ratio | to |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const c of results)
    for (const [k, s] of Object.entries(c.summaries ?? {}))
      lines.push(
        `| ${c.name} | ${k} | ${c.unit ?? 'ms'} | ${s.n} | ${fmt(s.median)} | ${fmt(s.p95)} | ${c.reference === undefined ? '' : fmt(s.vsReference, 2)} | ${c.reference ?? ''} |`,
      );
  lines.push('');
}

export function render(results: CaseResult[], machine: Machine, config: BenchConfig): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results, ${machine.date}`, '');
  lines.push(
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, ${machine.os}, Docker ${machine.docker}, Node ${machine.node}.` +
      (machine.load === undefined ? '' : ` Load: ${machine.load}.`),
  );
  lines.push(
    `Method: ${config.rounds} measured rounds after ${config.warmups} warm-up rounds per comparison, variants interleaved within each round; ` +
      `p95 by nearest rank, only from n >= 20 (else n/a); ratios are of medians; times in ms. Throughput: ${config.throughputRepeats} samples of ${config.throughputTasks} tasks per level, interleaved.`,
    '',
  );
  headline(results, lines);
  for (const c of results) {
    lines.push(`## ${c.name}`, '');
    if (c.summaries) rowsTable(c, lines);
    if (c.values) {
      lines.push('| measure | value |', '| --- | ---: |');
      for (const [k, v] of Object.entries(c.values)) lines.push(`| ${k} | ${v} |`);
      lines.push('');
    }
    if (c.ratios) {
      lines.push('| ratio (medians) | value | target | met |', '| --- | ---: | --- | --- |');
      for (const [k, r] of Object.entries(c.ratios))
        lines.push(
          `| ${k} | ${r.value.toFixed(2)} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`,
        );
      lines.push('');
    }
    for (const n of c.notes ?? []) lines.push(`${n}`, '');
  }
  return lines.join('\n');
}
