import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent } from '@baaaht/agent';
import type { TaskHandler } from '@baaaht/agent';
import { createHub } from '@baaaht/hub';
import type { BenchCase } from '../lib/bench-case';
import { interleave, summarizeAll } from '../lib/stats';

type Store = 'memory' | 'sqlite';

/** Submit on the hub to the moment the worker's task handler is called: the protocol's cost, no container. */
export const dispatchCase: BenchCase = {
  key: 'dispatch',
  async run({ config, log }) {
    log('dispatch latency: submit on the hub to the task handler on an idle worker (Unix socket)');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-bench-dispatch-'));
    const closers: (() => Promise<void>)[] = [];
    try {
      const variants: Record<string, () => Promise<number>> = {};
      for (const store of ['memory', 'sqlite'] as Store[]) {
        const hub = createHub(store === 'sqlite' ? { dataDir: path.join(dir, 'data') } : {});
        closers.push(() => hub.close());
        const address = await hub.listen(`unix://${dir}/${store}.sock`);
        const arrived = new Map<string, () => void>();
        // A handler that only notes when each task reaches it.
        const handler: TaskHandler = {
          tools: () => ['file_read'],
          run: async (task) => {
            arrived.get(task.taskId)?.();
            return { status: 'completed', exitCode: 0, stdout: '', stderr: '', truncated: false, durationMs: 0 };
          },
          cancel: () => undefined,
        };
        const agent = Agent.create({ handler, address, maxConcurrentTasks: 4 });
        closers.unshift(() => agent.close());
        await agent.start();
        let i = 0;
        variants[`${store} store`] = async () => {
          const taskId = `dispatch-${store}-${i++}`;
          const reached = new Promise<void>((resolve) => arrived.set(taskId, resolve));
          const t0 = process.hrtime.bigint();
          const handle = hub.submit({ taskId, tool: 'file_read', params: { path: 'x' } });
          await reached;
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          await handle.result;
          arrived.delete(taskId);
          return ms;
        };
      }
      const s = summarizeAll(await interleave(variants, config.rounds, config.warmups));
      return [
        {
          name: 'dispatch latency (submit to handler, no container)',
          summaries: s,
          values: Object.fromEntries(Object.entries(s).map(([k, v]) => [`${k}: median < 20 ms`, v.median < 20])),
        },
      ];
    } finally {
      for (const close of closers) await close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
