import type { BenchCase } from '../lib/bench-case';
import { cpuSecondsOf, rssOf } from '../lib/cpu';
import { MiB } from '../lib/setup';
import { startStack } from '../lib/stack';

/** Tasks the worker runs before it idles, so the idle figures are those of a worker that has worked. */
const TASKS_BEFORE = 20;

/**
 * A connected worker doing nothing but heartbeats, after {@link TASKS_BEFORE} 1 KB reads: peak RSS and
 * CPU share over `idleSeconds`.
 */
export const idleCase: BenchCase = {
  key: 'idle',
  async run({ config, ws, log }) {
    const seconds = config.idleSeconds;
    log(`idle worker: ${seconds}s`);
    const stack = await startStack(ws, 'idle');
    try {
      for (let i = 0; i < TASKS_BEFORE; i++) {
        const { taskId } = await stack.client.submit({
          tool: 'file_read',
          params: { path: 'file.txt' },
          mountSource: ws,
        });
        await stack.client.wait(taskId);
      }
      const pid = await stack.workerPid();
      const cpu0 = cpuSecondsOf(pid);
      let peakRss = rssOf(pid);
      const t0 = Date.now();
      while (Date.now() - t0 < seconds * 1000) {
        await new Promise((r) => setTimeout(r, 1000));
        peakRss = Math.max(peakRss, rssOf(pid));
      }
      const cpuShare = (cpuSecondsOf(pid) - cpu0) / ((Date.now() - t0) / 1000);
      return [
        {
          name: `idle worker (${seconds} s, connected, after ${TASKS_BEFORE} tasks)`,
          values: {
            'peak RSS MB': +(peakRss / MiB).toFixed(1),
            'CPU %': +(cpuShare * 100).toFixed(2),
            'RSS < 80 MB': peakRss < 80 * MiB,
            'CPU < 1%': cpuShare < 0.01,
          },
        },
      ];
    } finally {
      await stack.close();
    }
  },
};
