/**
 * The hub (`orchestrator serve --data DIR`) SIGKILLed and restarted three times
 * in a row, each time with fetch_url tasks in flight on a real worker (the
 * loopback test server holds each response 3 s). Every submitted task ends with
 * exactly one result: COMPLETED with its own page, recorded once in the durable
 * store, replayed once by a watch, and nothing left unfinished.
 */
import { runScopedName } from '@baaaht/test-utils';
import { createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import { TaskState } from '@baaaht/proto';
import type { TaskFinished } from '@baaaht/proto';
import { expectNoRunContainers, startHub, startWorker, writeLoopbackPolicy } from './support/cluster';
import type { HubProcess } from './support/cluster';
import { notCompleted, readStore, waitResult, watchAll } from './support/hub-checks';
import { killAllChildren, removeTempDirs, tempDir, waitUntil } from './support/processes';
import type { CliProcess } from './support/processes';
import { startTestWeb } from './support/web';
import type { TestWeb } from './support/web';

jest.setTimeout(300_000);

const ROUNDS = 3;
const PER_ROUND = 3;
const HOLD_MS = 3_000;

let web: TestWeb;
let hub: HubProcess;
let worker: CliProcess;
let dataDir: string;
const workerName = runScopedName('fault-hubrestart');

beforeAll(async () => {
  web = await startTestWeb();
  dataDir = tempDir('hubdata');
  hub = await startHub({ dataDir, lease: '30s' });
  worker = await startWorker({
    addr: hub.addr,
    name: workerName,
    policyFile: writeLoopbackPolicy(tempDir('ws'), web.port),
  });
});

afterAll(async () => {
  await killAllChildren();
  await web?.close();
  removeTempDirs();
  await expectNoRunContainers();
});

describe('hub SIGKILLed and restarted with tasks in flight, three times', () => {
  it('every task gets exactly one result', async () => {
    const submitted: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const client = createHubClient(hub.addr, { rpcTimeoutMs: 10_000 });
      const ids: string[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const taskId = `hubrestart-${process.pid}-r${round}-${i}`;
        const res = await client.submit({
          taskId,
          tool: 'fetch_url',
          params: { url: web.url(`/slow?ms=${HOLD_MS}&id=${taskId}`) },
        });
        expect(res).toMatchObject({ taskId, created: true });
        ids.push(taskId);
      }
      client.close();
      submitted.push(...ids);
      // Each request reaching the test server means its container is running right now.
      await waitUntil(`round ${round} tasks in flight`, () => ids.every((id) => web.hits(id) > 0), 60_000);
      hub.proc.child.kill('SIGKILL');
      const gone = await hub.proc.exited;
      expect(gone.signal).toBe('SIGKILL');
      hub = await startHub({ addr: hub.addr, dataDir, lease: '30s' });
    }

    // The worker survived every hub death and reconnected by itself.
    expect(worker.running()).toBe(true);

    const results: TaskFinished[] = [];
    for (const taskId of submitted) results.push(await waitResult(hub.addr, taskId));
    expect(notCompleted(results)).toEqual([]);
    for (const [i, taskId] of submitted.entries())
      expect(results[i]!.stdout.toString()).toBe(`slow page done ${taskId}\n`);

    const client: HubClient = createHubClient(hub.addr);
    try {
      for (const taskId of submitted) {
        const task = await client.status(taskId);
        expect(task.state).toBe(TaskState.TASK_STATE_COMPLETED);
        const events = await watchAll(client, taskId);
        expect(events.filter((e) => e.payload?.$case === 'finished')).toHaveLength(1);
      }
    } finally {
      client.close();
    }

    // Straight from the durable store, after a clean stop: one terminal record per task, none pending.
    hub.proc.child.kill('SIGTERM');
    expect((await hub.proc.exited).code).toBe(0);
    const store = readStore(dataDir, submitted);
    for (const taskId of submitted)
      expect([taskId, store.states.get(taskId)]).toEqual([taskId, TaskState.TASK_STATE_COMPLETED]);
    expect(store.unfinished).toEqual([]);

    // A task the worker ran twice would have hit the server twice; the worker reports each once.
    const completedLogs = worker.logs().filter((l) => l.msg === 'task completed' && typeof l['taskId'] === 'string');
    for (const taskId of submitted) {
      const runs = completedLogs.filter((l) => l['taskId'] === taskId).length;
      expect([taskId, runs]).toEqual([taskId, store.attempts.get(taskId)]);
    }
  });
});
