import { OFFLINE_BUSYBOX_IMAGE } from '@baaaht/test-utils';
import { dockerRunMatched, dockerRunPlain } from '../lib/baselines';
import type { BenchCase } from '../lib/bench-case';
import { cpuBusyShare, cpuSnapshot } from '../lib/cpu';
import { READ_ARGV } from '../lib/hardening';
import { targetRatio, withReference } from '../lib/report';
import { benchExecutor, readOneKb } from '../lib/setup';
import { interleave, median, ratio, summarizeAll } from '../lib/stats';

const LEVELS = [1, 2, 4, 8];
const MATCHED = "docker run CLI, executor's settings c=4";
const PLAIN = 'docker run CLI, as users run it c=4';
/** One warm-up round: a sample is already `throughputTasks` calls per variant. */
const WARMUP = 1;

/**
 * Tasks/s at 1, 2, 4 and 8 concurrent tasks, and both docker CLI baselines at 4: each level sampled
 * `throughputRepeats` times, the levels interleaved (one sample of each per round, after one warm-up
 * round), with the machine's CPU use over each sample.
 */
export const throughputCase: BenchCase = {
  key: 'throughput',
  async run({ config, ws, log }) {
    const tasks = config.throughputTasks;
    log(`throughput at ${LEVELS.join(', ')} concurrent tasks, ${config.throughputRepeats} samples each`);
    const executor = await benchExecutor();
    const cpu: Record<string, number[]> = {};
    const sample = (name: string, n: number, task: () => Promise<void>) => async (): Promise<number> => {
      let left = tasks;
      const c0 = cpuSnapshot();
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: n }, async () => {
          while (left-- > 0) await task();
        }),
      );
      const perSec = tasks / (Number(process.hrtime.bigint() - t0) / 1e9);
      (cpu[name] ??= []).push(cpuBusyShare(c0, cpuSnapshot()));
      return perSec;
    };
    const variants: Record<string, () => Promise<number>> = {};
    const add = (name: string, n: number, task: () => Promise<void>): void => {
      variants[name] = sample(name, n, task);
    };
    for (const n of LEVELS) add(`executor c=${n}`, n, () => readOneKb(executor, ws));
    add(MATCHED, 4, dockerRunMatched(OFFLINE_BUSYBOX_IMAGE, ws, READ_ARGV));
    add(PLAIN, 4, dockerRunPlain(OFFLINE_BUSYBOX_IMAGE, ws, READ_ARGV));
    try {
      const samples = await interleave(variants, config.throughputRepeats, WARMUP);
      const s = summarizeAll(samples);
      const values: Record<string, number> = {};
      // The warm-up round's share is each variant's first; it is dropped like its sample.
      for (const [k, shares] of Object.entries(cpu))
        values[`${k}: machine CPU % (median)`] = +(median(shares.slice(WARMUP)) * 100).toFixed(1);
      const c4 = s['executor c=4']!;
      return [
        {
          name: `throughput (${tasks} tasks per sample, ${config.throughputRepeats} samples per level)`,
          unit: 'tasks/s',
          reference: 'executor c=4',
          summaries: withReference(s, 'executor c=4'),
          values,
          ratios: {
            [`executor c=4 / ${MATCHED} (tasks/s)`]: targetRatio(ratio(c4, s[MATCHED]!), '>= 1.7'),
            [`executor c=4 / ${PLAIN} (tasks/s)`]: { value: ratio(c4, s[PLAIN]!) },
          },
        },
      ];
    } finally {
      await executor.close();
    }
  },
};
