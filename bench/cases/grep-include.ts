import fs from 'node:fs';
import { createToolCatalog, getToolSpec } from '@baaaht/tool-specs';
import { OFFLINE_BUSYBOX_IMAGE, offlineToolImages } from '@baaaht/test-utils';
import { oldGrepTool } from '../lib/baselines';
import type { BenchCase } from '../lib/bench-case';
import { benchExecutor, includeWorkspace, manyFilesWorkspace } from '../lib/setup';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

/**
 * The grep tool (its own `find` walk, `include` pushed into it) vs the pre-issue-12 `grep -r` + include
 * filter, over small `.ts` files beside large `.log` files, and both over 5,000 small files without include.
 */
export const grepIncludeCase: BenchCase = {
  key: 'grep-include',
  async run({ config, log }) {
    const [tsFiles, logs, logMiB] = [40, 8, 5];
    log(
      `grep with include over ${tsFiles} .ts files and ${logs * logMiB} MB of .log files: the walk vs grep -r + filter`,
    );
    const ws = includeWorkspace(tsFiles, logs, logMiB);
    const many = manyFilesWorkspace(5000);
    const executor = await benchExecutor({
      workerId: `bench-include-${process.pid}`,
      catalog: createToolCatalog({ custom: [oldGrepTool(getToolSpec('grep'))] }),
      imageOverrides: { ...offlineToolImages(), bench_old_grep: OFFLINE_BUSYBOX_IMAGE },
    });
    // Both tools must print the same number of matches: only how they get there differs.
    const grep = (tool: string, dir: string, params: Record<string, unknown>, expected: number) => () =>
      timeMs(async () => {
        const r = await executor.executeTask({ tool, params: { pattern: 'needle', ...params }, mountSource: dir });
        if (r.status !== 'completed') throw new Error(`${tool}: ${r.status} ${r.error?.message}`);
        const n = r.stdout.split('\n').filter(Boolean).length;
        if (n !== expected) throw new Error(`${tool}: ${n} matches, expected ${expected}`);
      });
    const regex = { pattern: 'needle|FIXME', regex: true };
    const hits = tsFiles / 5;
    const manyHits = Math.ceil(5000 / 97);
    try {
      const samples = await interleave(
        {
          'new, include *.ts': grep('grep', ws, { include: '*.ts' }, hits),
          'old, include *.ts': grep('bench_old_grep', ws, { include: '*.ts' }, hits),
          'new, include *.ts, regex': grep('grep', ws, { include: '*.ts', ...regex }, hits),
          'old, include *.ts, regex': grep('bench_old_grep', ws, { include: '*.ts', ...regex }, hits),
          'new, 5,000 small files, no include': grep('grep', many, {}, manyHits),
          'old, 5,000 small files, no include': grep('bench_old_grep', many, {}, manyHits),
        },
        config.rounds,
        config.warmups,
      );
      const s = summarizeAll(samples);
      const pair = (what: string) => ({ value: ratio(s[`new, ${what}`]!, s[`old, ${what}`]!) });
      return [
        {
          name: `grep with include (${tsFiles} small .ts files beside ${logs * logMiB} MB of .log files)`,
          summaries: s,
          ratios: {
            'new / old, include *.ts': pair('include *.ts'),
            'new / old, include *.ts, regex': pair('include *.ts, regex'),
            'new / old, 5,000 small files, no include': pair('5,000 small files, no include'),
          },
        },
      ];
    } finally {
      await executor.close();
      fs.rmSync(ws, { recursive: true, force: true });
      fs.rmSync(many, { recursive: true, force: true });
    }
  },
};
