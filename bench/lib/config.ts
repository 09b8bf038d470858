/** The bench's knobs, from the environment (see bench/README.md). */
export interface BenchConfig {
  /** Measured rounds per interleaved comparison (`BENCH_ROUNDS`, 40). */
  rounds: number;
  /** Discarded warm-up rounds before them, each running every variant once (`BENCH_WARMUPS`, 3). */
  warmups: number;
  /** Length of the idle worker case (`BENCH_IDLE_SECONDS`, 60). */
  idleSeconds: number;
  /** Tasks per throughput sample (`BENCH_THROUGHPUT_TASKS`, 24). */
  throughputTasks: number;
  /** Samples per concurrency level (`BENCH_THROUGHPUT_REPEATS`, 3). */
  throughputRepeats: number;
  /** Cases to run (`BENCH_ONLY`, comma list); undefined: all. */
  only?: string[];
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new TypeError(`${name}: expected an integer >= ${min}, got ${raw}`);
  return v;
}

export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const config: BenchConfig = {
    rounds: int(env, 'BENCH_ROUNDS', 40, 1),
    warmups: int(env, 'BENCH_WARMUPS', 3, 0),
    idleSeconds: int(env, 'BENCH_IDLE_SECONDS', 60, 1),
    throughputTasks: int(env, 'BENCH_THROUGHPUT_TASKS', 24, 1),
    throughputRepeats: int(env, 'BENCH_THROUGHPUT_REPEATS', 3, 1),
  };
  const only = env.BENCH_ONLY?.split(',').filter(Boolean);
  if (only !== undefined && only.length > 0) config.only = only;
  return config;
}
