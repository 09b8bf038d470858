/**
 * The Docker daemon restarted under a live executor: tasks running at the time
 * end promptly as failed/error with a clear error (never completed, never
 * hanging), and afterwards the SAME executor runs new tasks successfully.
 * Restores dockerd in `finally`, whatever happened. Must run alone.
 */
import { createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { Executor, TaskEvent, TaskResult } from '@baaaht/executor';
import { openTestExecutor, testWorkerId, workerContainers } from '../../packages/executor/src/test-support/integration';
import { OWNER, expectNoManagedContainers } from './support/cluster';
import { dockerAnswers, ensureDockerd, findDockerd, startDockerd, stopDockerd } from './support/dockerd';
import type { DockerdProcess } from './support/dockerd';
import { waitUntil } from './support/processes';

jest.setTimeout(300_000);

const LOG = '/tmp/dockerd.log';
const workerId = testWorkerId('fault-dockerd');
let ex: Executor | undefined;
let ws: TempWorkspace;
let dockerd: DockerdProcess;

beforeAll(async () => {
  expect(await dockerAnswers()).toBe(true);
  dockerd = findDockerd();
  ws = createTempWorkspace({ files: { 'a.txt': 'after the restart\n' }, owner: OWNER });
  ex = await openTestExecutor(workerId, { maxConcurrentTasks: 4, gracePeriodMs: 2_000 });
});

afterAll(async () => {
  await ensureDockerd(dockerd, LOG);
  await ex?.close();
  ws?.cleanup();
  expect(workerContainers(workerId)).toEqual([]);
  await expectNoManagedContainers();
});

describe('dockerd restarted while tasks run', () => {
  it('running tasks fail with a clear error; the same executor then runs new tasks', async () => {
    const executor = ex as Executor;
    const before = await executor.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir });
    expect(before).toMatchObject({ status: 'completed', stdout: 'after the restart\n' });

    const started = new Set<string>();
    const inFlight: Array<Promise<TaskResult>> = [];
    for (let i = 0; i < 3; i++) {
      const taskId = `dockerd-${process.pid}-${i}`;
      inFlight.push(
        executor.executeTask({
          tool: 'hostile',
          params: { case: 'sleep' },
          taskId,
          timeoutMs: 120_000,
          onEvent: (e: TaskEvent) => {
            if (e.type === 'stdout') started.add(taskId);
          },
        }),
      );
    }
    await waitUntil('the three tools to print', () => started.size === 3, 60_000);

    const t0 = Date.now();
    let results: TaskResult[];
    try {
      await stopDockerd(dockerd);
      // Bounded: every running task has its result while the daemon is still down or right after.
      let timer: NodeJS.Timeout | undefined;
      results = await Promise.race([
        Promise.all(inFlight),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('tasks hung after dockerd stopped')), 90_000);
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      const pid = await startDockerd(dockerd, LOG);
      dockerd = { ...dockerd, pid };
    }
    const restartMs = Date.now() - t0;
    console.log(
      `dockerd stop+start took ${restartMs} ms; in-flight results: ${JSON.stringify(results.map((r) => [r.status, r.error]))}`,
    );

    for (const r of results) {
      expect(['failed', 'error']).toContain(r.status);
      expect(r.status).not.toBe('completed');
      expect(r.error?.code).toEqual(expect.any(String));
      // Says what happened to the tool: stopped by a signal, or the engine went away.
      expect(r.error?.message).toMatch(/exited with code 1[34][37]|docker|daemon|engine|socket|ECONNRE/i);
    }

    // Same executor, no restart: new work succeeds once the daemon answers again.
    const after = await executor.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir });
    expect(after).toMatchObject({ status: 'completed', stdout: 'after the restart\n' });
    const burst = await Promise.all(
      [0, 1, 2, 3].map(() =>
        executor.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir }),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    await executor.idle();
    // Containers stopped by the daemon's shutdown are cleaned up by the executor or its reaper.
    await executor.reap();
    expect(workerContainers(workerId)).toEqual([]);
  });
});
