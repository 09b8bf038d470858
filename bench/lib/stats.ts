/** Fewer samples than this and a p95 is one of the last two samples, not a percentile: it is not reported. */
export const P95_MIN_SAMPLES = 20;

/** Summary statistics for a list of samples (milliseconds or any unit). */
export interface Summary {
  n: number;
  min: number;
  median: number;
  /** Nearest-rank 95th percentile; `null` when `n < P95_MIN_SAMPLES`. */
  p95: number | null;
  max: number;
  mean: number;
}

/** The `p`-quantile of sorted samples by nearest rank (the smallest sample with at least `p` of all at or below it). */
export function nearestRank(sorted: readonly number[], p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0]!,
    median: median(s),
    p95: s.length >= P95_MIN_SAMPLES ? nearestRank(s, 0.95) : null,
    max: s[s.length - 1]!,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

export function summarizeAll(samples: Record<string, readonly number[]>): Record<string, Summary> {
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

/** Ratio of medians. */
export function ratio(a: Summary, b: Summary): number {
  return a.median / b.median;
}

/**
 * The order {@link interleave} runs variants in: `warmup + rounds` rounds, each running every variant once,
 * in declaration order (A B C A B C ...). The first `warmup` rounds are discarded.
 */
export function interleaveOrder(
  names: readonly string[],
  rounds: number,
  warmup: number,
): { name: string; warm: boolean }[] {
  const order: { name: string; warm: boolean }[] = [];
  for (let r = 0; r < warmup + rounds; r++) for (const name of names) order.push({ name, warm: r < warmup });
  return order;
}

/**
 * Runs the variants interleaved (A B C A B C ...) so that noise on a shared host hits every variant
 * alike; `warmup` rounds first (each variant runs `warmup` times, discarded). Returns `rounds` samples
 * per variant.
 */
export async function interleave<T = number>(
  variants: Record<string, () => Promise<T>>,
  rounds: number,
  warmup: number,
): Promise<Record<string, T[]>> {
  const names = Object.keys(variants);
  const out: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const { name, warm } of interleaveOrder(names, rounds, warmup)) {
    const v = await variants[name]!();
    if (!warm) out[name]!.push(v);
  }
  return out;
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
