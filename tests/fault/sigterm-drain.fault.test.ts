/**
 * SIGTERM to a worker with tasks in flight: it stops taking work, lets the
 * running tasks finish, reports every outcome to the hub, unregisters and
 * exits 0; no container is left behind.
 */
import { runScopedName } from '@baaaht/test-utils';
import { createHubClient } from '@baaaht/hub';
import type { TaskFinished } from '@baaaht/proto';
import { expectNoRunContainers, startHub, startWorker, workerContainers, writeLoopbackPolicy } from './support/cluster';
import type { HubProcess } from './support/cluster';
import { notCompleted, waitResult } from './support/hub-checks';
import { killAllChildren, removeTempDirs, tempDir, waitUntil } from './support/processes';
import type { CliProcess } from './support/processes';
import { startTestWeb } from './support/web';
import type { TestWeb } from './support/web';

jest.setTimeout(300_000);

const TASKS = 4;
const HOLD_MS = 3_000;

let web: TestWeb;
let hub: HubProcess;
let worker: CliProcess;
const workerName = runScopedName('fault-drain');

beforeAll(async () => {
  web = await startTestWeb();
  hub = await startHub({ lease: '30s' });
  worker = await startWorker({
    addr: hub.addr,
    name: workerName,
    policyFile: writeLoopbackPolicy(tempDir('ws'), web.port),
    slots: TASKS,
  });
});

afterAll(async () => {
  await killAllChildren();
  await web?.close();
  removeTempDirs();
  await expectNoRunContainers();
});

describe('worker SIGTERM with tasks in flight', () => {
  it('drains, reports every outcome, unregisters and exits 0', async () => {
    const client = createHubClient(hub.addr);
    try {
      const ids: string[] = [];
      for (let i = 0; i < TASKS; i++) {
        const taskId = `drain-${process.pid}-${i}`;
        await client.submit({
          taskId,
          tool: 'fetch_url',
          params: { url: web.url(`/slow?ms=${HOLD_MS}&id=${taskId}`) },
        });
        ids.push(taskId);
      }
      await waitUntil('tasks in flight', () => ids.every((id) => web.hits(id) === 1), 60_000);
      worker.child.kill('SIGTERM');
      const exit = await worker.exited;
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });

      // Reported before the exit: the hub has every result without any worker connected.
      const results: TaskFinished[] = [];
      for (const taskId of ids) results.push(await waitResult(hub.addr, taskId, 10_000));
      expect(notCompleted(results)).toEqual([]);
      for (const [i, taskId] of ids.entries()) {
        expect(results[i]!.stdout.toString()).toBe(`slow page done ${taskId}\n`);
        expect(web.hits(taskId)).toBe(1);
      }
      const msgs = worker.logs().map((l) => l.msg);
      expect(msgs.indexOf('draining, send again to force')).toBeGreaterThan(-1);
      expect(msgs.indexOf('drained')).toBeGreaterThan(msgs.indexOf('draining, send again to force'));
      expect(msgs.at(-1)).toBe('worker stopped');
      await waitUntil(
        'hub saw the unregister',
        () => hub.proc.logs().some((l) => l.msg === 'worker unregistered'),
        10_000,
      );
      expect(hub.proc.logs().some((l) => l.msg === 'worker lease expired')).toBe(false);
      // Unregistered, not merely disconnected: the hub no longer lists it at all.
      expect((await client.workers()).filter((w) => w.name === workerName)).toEqual([]);
      expect(workerContainers(workerName)).toEqual([]);
    } finally {
      client.close();
    }
  });
});
