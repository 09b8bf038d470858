import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BenchCase } from '../lib/bench-case';
import { REPO } from '../lib/processes';
import { MiB } from '../lib/setup';

/** 50 MB of tool output: time and peak RSS growth of a process running the executor (one run). */
export const floodCase: BenchCase = {
  key: 'flood',
  async run({ log }) {
    log('50 MB of tool output');
    const child = spawn(
      path.join(REPO, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO, 'bench', 'fixtures', 'flood-child.ts'), String(50 * MiB)],
      {
        env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO, 'tsconfig.json') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
    if (code !== 0) throw new Error('flood child failed');
    const r = JSON.parse(out) as {
      ms: number;
      before: number;
      peak: number;
      status: string;
      truncated: boolean;
      dropped: number;
    };
    const growth = (r.peak - r.before) / MiB;
    return [
      {
        name: '50 MB stdout',
        values: {
          'time ms': Math.round(r.ms),
          'peak RSS growth MB': +growth.toFixed(1),
          'growth < 20 MB': growth < 20,
          truncated: r.truncated,
          'dropped MB': +(r.dropped / MiB).toFixed(1),
        },
      },
    ];
  },
};
