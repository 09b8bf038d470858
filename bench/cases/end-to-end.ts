import type { BenchCase } from '../lib/bench-case';
import { targetRatio, withReference } from '../lib/report';
import { benchExecutor, readOneKb } from '../lib/setup';
import { startStack } from '../lib/stack';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

const COMPLETED = 5;

/** Submit-to-result through the dev orchestrator and a connected worker vs the executor alone. */
export const endToEndCase: BenchCase = {
  key: 'e2e',
  async run({ config, ws, log }) {
    log('end to end: hub + worker on a Unix socket vs the executor alone');
    // Cold on both sides (the executor alone runs with the pool off): the difference is the hub+worker path.
    const stack = await startStack(ws, 'e2e', ['--no-pool']);
    const executor = await benchExecutor();
    try {
      const samples = await interleave(
        {
          'hub + worker': () =>
            timeMs(async () => {
              const { taskId } = await stack.client.submit({
                tool: 'file_read',
                params: { path: 'file.txt' },
                mountSource: ws,
              });
              const r = await stack.client.wait(taskId);
              if (r.state !== COMPLETED) throw new Error(`e2e: state ${r.state} ${r.error?.message}`);
            }),
          'executor alone': () => timeMs(() => readOneKb(executor, ws)),
        },
        config.rounds,
        config.warmups,
      );
      const s = summarizeAll(samples);
      return [
        {
          name: 'end to end through hub and worker',
          reference: 'executor alone',
          summaries: withReference(s, 'executor alone'),
          ratios: { 'hub+worker / executor': targetRatio(ratio(s['hub + worker']!, s['executor alone']!), '<= 1.1') },
        },
      ];
    } finally {
      await executor.close();
      await stack.close();
    }
  },
};
