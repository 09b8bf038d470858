/**
 * A worker SIGKILLed with tasks in flight, then restarted under the same name
 * (= the worker id on its containers): its start-up reaper removes the orphaned
 * containers, and the hub re-queues the tasks once the 3 s lease runs out, so
 * each one finishes exactly once, on the second attempt.
 */
import { runScopedName } from '@baaaht/test-utils';
import { createHubClient } from '@baaaht/hub';
import type { TaskFinished } from '@baaaht/proto';
import { expectNoRunContainers, startHub, startWorker, workerContainers, writeLoopbackPolicy } from './support/cluster';
import type { HubProcess } from './support/cluster';
import { notCompleted, waitResult, watchAll } from './support/hub-checks';
import { killAllChildren, removeTempDirs, tempDir, waitUntil } from './support/processes';
import type { CliProcess } from './support/processes';
import { startTestWeb } from './support/web';
import type { TestWeb } from './support/web';

jest.setTimeout(300_000);

const TASKS = 3;
const HOLD_MS = 4_000;

let web: TestWeb;
let hub: HubProcess;
let worker: CliProcess;
let policyFile: string;
const workerName = runScopedName('fault-sigkill');

beforeAll(async () => {
  web = await startTestWeb();
  hub = await startHub({ lease: '3s' });
  policyFile = writeLoopbackPolicy(tempDir('ws'), web.port);
  worker = await startWorker({ addr: hub.addr, name: workerName, policyFile });
});

afterAll(async () => {
  await killAllChildren();
  await web?.close();
  removeTempDirs();
  await expectNoRunContainers();
});

describe('worker SIGKILLed with tasks in flight', () => {
  it('the restarted worker reaps its orphans and every task finishes exactly once', async () => {
    const client = createHubClient(hub.addr);
    const ids: string[] = [];
    try {
      for (let i = 0; i < TASKS; i++) {
        const taskId = `sigkill-${process.pid}-${i}`;
        await client.submit({
          taskId,
          tool: 'fetch_url',
          params: { url: web.url(`/slow?ms=${HOLD_MS}&id=${taskId}`) },
        });
        ids.push(taskId);
      }
      await waitUntil('tasks in flight', () => ids.every((id) => web.hits(id) === 1), 60_000);
      worker.child.kill('SIGKILL');
      expect((await worker.exited).signal).toBe('SIGKILL');

      // Nobody removed the dead worker's containers: they are orphans now.
      const orphans = workerContainers(workerName);
      expect(orphans.length).toBe(TASKS);

      worker = await startWorker({ addr: hub.addr, name: workerName, policyFile });
      // The start-up reap runs before "worker ready"; allow the re-queued reruns' own containers
      // to come and go, but none of the orphans may survive.
      const stillThere = workerContainers(workerName).filter((id) =>
        orphans.some((o) => o.startsWith(id) || id.startsWith(o)),
      );
      expect(stillThere).toEqual([]);

      const results: TaskFinished[] = [];
      for (const taskId of ids) results.push(await waitResult(hub.addr, taskId, 120_000));
      expect(notCompleted(results)).toEqual([]);
      for (const [i, taskId] of ids.entries()) {
        expect(results[i]!.stdout.toString()).toBe(`slow page done ${taskId}\n`);
        const task = await client.status(taskId);
        // Re-queued after the lease: handed out a second time, finished once.
        expect(task.attempts).toBe(2);
        expect((await watchAll(client, taskId)).filter((e) => e.payload?.$case === 'finished')).toHaveLength(1);
        expect(web.hits(taskId)).toBe(2);
      }
      await waitUntil('no containers of the worker', () => workerContainers(workerName).length === 0, 30_000);
      const requeued = hub.proc
        .logs()
        .filter((l) => l.msg === 'task requeued')
        .map((l) => l['taskId']);
      for (const taskId of ids) expect(requeued.filter((r) => r === taskId)).toHaveLength(1);
    } finally {
      client.close();
    }
  });
});
