import type { BenchConfig } from './config';
import type { CaseResult } from './report';

/** What every case gets: the knobs, the shared 1 KB workspace and the progress log (stderr). */
export interface BenchContext {
  config: BenchConfig;
  /** A workspace holding `file.txt`, 1 KB. */
  ws: string;
  log: (line: string) => void;
}

/** One case of the suite; `key` is its name in `BENCH_ONLY`. */
export interface BenchCase {
  key: string;
  run: (ctx: BenchContext) => Promise<CaseResult[]>;
}
