/** Summary statistics for a list of samples (milliseconds or any unit). */
export interface Summary {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => {
    const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1));
    return s[idx]!;
  };
  return {
    n: s.length,
    min: s[0]!,
    median: s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2,
    p95: q(0.95),
    max: s[s.length - 1]!,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/**
 * Runs the variants interleaved (A B C A B C ...) so that noise on a shared
 * host hits every variant alike; returns the samples per variant.
 */
export async function interleave(
  variants: Record<string, () => Promise<number>>,
  rounds: number,
  warmup = 1,
): Promise<Record<string, number[]>> {
  const names = Object.keys(variants);
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const name of names) {
      const v = await variants[name]!();
      if (r >= warmup) out[name]!.push(v);
    }
  }
  return out;
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
