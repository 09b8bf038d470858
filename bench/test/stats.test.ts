import { benchConfig } from '../lib/config';
import { interleave, interleaveOrder, median, nearestRank, P95_MIN_SAMPLES, summarize } from '../lib/stats';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('median', () => {
  it('is the middle sample of an odd count and the mean of the middle two of an even one, in any order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
  it('refuses no samples', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('p95', () => {
  it('is reported only from at least 20 samples', () => {
    expect(P95_MIN_SAMPLES).toBe(20);
    expect(summarize(range(19)).p95).toBeNull();
    expect(summarize(range(20)).p95).toBe(19);
  });
  it('is the nearest rank: the 38th of 40, the 95th of 100', () => {
    expect(summarize(range(40).reverse()).p95).toBe(38);
    expect(nearestRank(range(100), 0.95)).toBe(95);
  });
  it('comes with n, min, max and mean', () => {
    expect(summarize([2, 4, 6])).toEqual({ n: 3, min: 2, median: 4, p95: null, max: 6, mean: 4 });
  });
});

describe('interleave', () => {
  it('runs every variant once per round, in declaration order, warm-ups first', () => {
    expect(interleaveOrder(['a', 'b'], 2, 1)).toEqual([
      { name: 'a', warm: true },
      { name: 'b', warm: true },
      { name: 'a', warm: false },
      { name: 'b', warm: false },
      { name: 'a', warm: false },
      { name: 'b', warm: false },
    ]);
  });
  it('keeps only the measured rounds, in the order they ran', async () => {
    const calls: string[] = [];
    let t = 0;
    const variant = (name: string) => async (): Promise<number> => {
      calls.push(name);
      return t++;
    };
    const out = await interleave({ a: variant('a'), b: variant('b'), c: variant('c') }, 2, 3);
    expect(calls.join('')).toBe('abc'.repeat(5));
    expect(out).toEqual({ a: [9, 12], b: [10, 13], c: [11, 14] });
  });
});

describe('benchConfig', () => {
  it('defaults to 40 rounds, 3 warm-ups and 3 throughput samples per level', () => {
    expect(benchConfig({})).toEqual({
      rounds: 40,
      warmups: 3,
      idleSeconds: 60,
      throughputTasks: 24,
      throughputRepeats: 3,
    });
  });
  it('takes the environment overrides and BENCH_ONLY, and names a bad value', () => {
    const c = benchConfig({ BENCH_ROUNDS: '10', BENCH_WARMUPS: '0', BENCH_IDLE_SECONDS: '20', BENCH_ONLY: 'cold,e2e' });
    expect(c).toMatchObject({ rounds: 10, warmups: 0, idleSeconds: 20, only: ['cold', 'e2e'] });
    expect(() => benchConfig({ BENCH_ROUNDS: 'many' })).toThrow(/BENCH_ROUNDS/);
  });
});
