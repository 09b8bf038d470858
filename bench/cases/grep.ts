import fs from 'node:fs';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { Executor } from '@baaaht/executor';
import type { BenchCase } from '../lib/bench-case';
import { withReference } from '../lib/report';
import { benchExecutor, manyFilesWorkspace } from '../lib/setup';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

const SEED = '0.2 CPU (seed)';

/** A CPU-bound grep over 5,000 files at the seed's 0.2 CPU vs 1 CPU. */
export const grepCase: BenchCase = {
  key: 'grep',
  async run({ config, log }) {
    log('CPU-bound grep over 5,000 files: seed limit 0.2 CPU vs 1 CPU');
    const ws = manyFilesWorkspace(5000);
    const seed = await benchExecutor();
    const oneCpu = await benchExecutor({
      workerId: `bench-1cpu-${process.pid}`,
      catalog: createToolCatalog({ overrides: { grep: { resources: { cpus: 1 } } } }),
    });
    const grep = (ex: Executor) => () =>
      timeMs(async () => {
        const r = await ex.executeTask({
          tool: 'grep',
          params: { pattern: 'needle', path: '.', regex: false },
          mountSource: ws,
        });
        if (r.status !== 'completed') throw new Error(`grep: ${r.status} ${r.error?.message}`);
      });
    try {
      const samples = await interleave({ [SEED]: grep(seed), '1 CPU': grep(oneCpu) }, config.rounds, config.warmups);
      const s = summarizeAll(samples);
      return [
        {
          name: 'grep over 5,000 files',
          reference: SEED,
          summaries: withReference(s, SEED),
          ratios: { '0.2 CPU / 1 CPU': { value: ratio(s[SEED]!, s['1 CPU']!) } },
        },
      ];
    } finally {
      await seed.close();
      await oneCpu.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  },
};
