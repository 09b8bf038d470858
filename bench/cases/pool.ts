import type { BenchCase } from '../lib/bench-case';
import { targetRatio, withReference } from '../lib/report';
import type { CaseResult } from '../lib/report';
import { benchExecutor, readOneKb } from '../lib/setup';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

const COLD = 'executor, cold (pool off)';
const POOLED = 'executor, pooled';
const LOAD_OFF = 'pool off c=4';
const LOAD_ON = 'pool on c=4';
/** One warm-up round: a load sample is already `throughputTasks` calls. */
const LOAD_WARMUP = 1;

/**
 * The warm pool (issue 15 item 1): a 1 KB read with the pool off and on, interleaved (the pooled executor's
 * next container is started while the other variant runs, as it would be between an agent's calls); then
 * sustained load at 4 concurrent calls with the pool off and on, where every call still costs one
 * container either way: the pool must not be slower there.
 */
export const poolCase: BenchCase = {
  key: 'pool',
  async run({ config, ws, log }): Promise<CaseResult[]> {
    log('pool: cold vs pooled 1 KB file_read, then c=4 load with the pool off and on');
    const cold = await benchExecutor({ workerId: `bench-cold-${process.pid}` });
    const pooled = await benchExecutor({ workerId: `bench-pool-${process.pid}`, pool: { enabled: true } });
    const load = (executor: typeof cold) => async (): Promise<number> => {
      let left = config.throughputTasks;
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (left-- > 0) await readOneKb(executor, ws);
        }),
      );
      return config.throughputTasks / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    try {
      const latency = summarizeAll(
        await interleave(
          { [COLD]: () => timeMs(() => readOneKb(cold, ws)), [POOLED]: () => timeMs(() => readOneKb(pooled, ws)) },
          config.rounds,
          config.warmups,
        ),
      );
      const rate = summarizeAll(
        await interleave({ [LOAD_OFF]: load(cold), [LOAD_ON]: load(pooled) }, config.throughputRepeats, LOAD_WARMUP),
      );
      return [
        {
          name: 'warm pool (1 KB file_read)',
          reference: COLD,
          summaries: withReference(latency, COLD),
          ratios: { [`${POOLED} / ${COLD}`]: targetRatio(ratio(latency[POOLED]!, latency[COLD]!), '<= 0.3') },
        },
        {
          name: `warm pool under load (${config.throughputTasks} calls per sample)`,
          unit: 'tasks/s',
          reference: LOAD_OFF,
          summaries: withReference(rate, LOAD_OFF),
          ratios: {
            [`${LOAD_ON} / ${LOAD_OFF} (tasks/s)`]: targetRatio(ratio(rate[LOAD_ON]!, rate[LOAD_OFF]!), '>= 1'),
          },
        },
      ];
    } finally {
      await Promise.all([cold.close(), pooled.close()]);
    }
  },
};
