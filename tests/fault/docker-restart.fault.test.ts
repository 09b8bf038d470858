/**
 * A Docker engine restarted under a live executor: tasks running at the time end promptly as
 * failed/error with a clear error (never completed, never hanging), and afterwards the SAME executor runs
 * new tasks successfully.
 *
 * The engine is a private one this test starts itself (its own containerd, dockerd, socket, data and
 * exec roots, pidfile and config, all under one temp directory; test-utils `startPrivateEngine`), with
 * the offline busybox image copied in from the host engine. Only that engine is stopped and started
 * again; the host's daemon is never signalled, and its containers (anyone's) keep running. Without root
 * or a dockerd binary the test fails saying so; it never falls back to the host's engine.
 */
import {
  OFFLINE_BUSYBOX_IMAGE,
  containersWithLabel,
  createTempWorkspace,
  notCompletedLines,
  privateEngineProblem,
  resultLines,
  startPrivateEngine,
} from '@baaaht/test-utils';
import type { DisposeReport, PrivateEngine, TempWorkspace } from '@baaaht/test-utils';
import type { Executor, TaskEvent, TaskResult } from '@baaaht/executor';
import { LABELS } from '../../packages/executor/src/labels';
import {
  captureLogger,
  openTestExecutor,
  testWorkerId,
  waitingPoolContainers,
} from '../../packages/executor/src/test-support/integration';
import { OWNER, expectNoRunContainers, hostEngineAnswers } from './support/cluster';
import { waitUntil } from './support/processes';

jest.setTimeout(300_000);

const HOW_TO_RUN =
  'It starts a private Docker engine of its own (never the host one), which needs root and Docker ' +
  '(Debian: apt-get install docker.io). Run it as root: ' +
  'sudo pnpm exec jest --selectProjects fault --runInBand --runTestsByPath tests/fault/docker-restart.fault.test.ts';

const workerId = testWorkerId('fault-dockerd');
const { logger, entries } = captureLogger();
let engine: PrivateEngine | undefined;
let ex: Executor | undefined;
let ws: TempWorkspace;

/** What went on, for a failure message: the executor's log lines of `taskIds` and the engine's log tail. */
function diagnosis(taskIds: readonly string[]): string {
  const lines = entries
    .filter((e) => taskIds.includes(String(e.meta['taskId'])))
    .map((e) => `${e.level} ${e.message} ${JSON.stringify(e.meta)}`);
  return `executor log:\n${lines.join('\n')}\n${engine?.logTail(40) ?? ''}`;
}

function ownContainers(): string[] {
  return containersWithLabel(`${LABELS.workerId}=${workerId}`, (engine as PrivateEngine).host);
}

/** The executor's warm-pool containers waiting for a call on the private engine. */
const runningPooled = (): string[] => waitingPoolContainers(workerId, (engine as PrivateEngine).host);

/** Own containers other than running pooled ones (those wait for the next call, by design, until close). */
function ownExceptWaiting(): string[] {
  const waiting = new Set(runningPooled());
  return ownContainers().filter((id) => !waiting.has(id));
}

beforeAll(async () => {
  const problem = privateEngineProblem();
  if (problem) throw new Error(`docker-restart cannot run here: ${problem.message}.\n${HOW_TO_RUN}`);
  engine = await startPrivateEngine({ images: [OFFLINE_BUSYBOX_IMAGE] });
  ws = createTempWorkspace({ files: { 'a.txt': 'after the restart\n' }, owner: OWNER });
  ex = await openTestExecutor(workerId, {
    maxConcurrentTasks: 4,
    gracePeriodMs: 2_000,
    env: { ...process.env, DOCKER_HOST: engine.host },
    logger,
  });
});

let disposed: DisposeReport | undefined;
afterAll(async () => {
  try {
    // Bounded, so the private engine is disposed whatever the executor does.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ex?.close(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`executor.close() hung\n${diagnosis([])}`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    if (engine) expect(ownContainers()).toEqual([]);
  } finally {
    ws?.cleanup();
    disposed = await engine?.dispose();
  }
  // An orderly stop left nothing to force away: no daemon, shim or mount of the engine survives it.
  if (engine) expect(disposed).toEqual({ processes: [], mounts: [] });
  await expectNoRunContainers();
});

describe('a private dockerd restarted while tasks run', () => {
  it('running tasks fail with a clear error; the same executor then runs new tasks', async () => {
    const executor = ex as Executor;
    const docker = engine as PrivateEngine;
    const before = await executor.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir });
    expect(before).toMatchObject({ status: 'completed', stdout: 'after the restart\n' });
    // The executor's containers are on the private engine, not the host's.
    expect(containersWithLabel(`${LABELS.workerId}=${workerId}`)).toEqual([]);

    const started = new Set<string>();
    const inFlight: Array<Promise<TaskResult>> = [];
    const ids = [0, 1, 2].map((i) => `dockerd-${process.pid}-${i}`);
    for (const taskId of ids) {
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
    // One container per running task; besides them only the warm pool's container waiting for the next
    // file_read (made after `before`), which the engine's stop kills as well.
    for (const taskId of ids) expect(containersWithLabel(`${LABELS.taskId}=${taskId}`, docker.host)).toHaveLength(1);
    expect(ownExceptWaiting()).toHaveLength(3);
    const pooledBefore = runningPooled();

    const pid = docker.pid();
    expect(pid).toEqual(expect.any(Number));
    const t0 = Date.now();
    let results: TaskResult[];
    let hostAnsweredWhileDown = false;
    try {
      await docker.stop();
      expect(docker.pid()).toBeUndefined();
      hostAnsweredWhileDown = await hostEngineAnswers();
      // Bounded: every running task has its result while the daemon is still down or right after.
      let timer: NodeJS.Timeout | undefined;
      results = await Promise.race([
        Promise.all(inFlight),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`tasks hung after dockerd stopped\n${diagnosis(ids)}`)), 90_000);
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      await docker.start();
    }
    const restartMs = Date.now() - t0;
    console.log(
      `private dockerd stop+start took ${restartMs} ms; in-flight results:\n${resultLines(results).join('\n')}`,
    );
    expect(docker.pid()).not.toBe(pid);
    // The host's engine was never touched: it answered while the private one was down.
    expect(hostAnsweredWhileDown).toBe(true);

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
    expect(notCompletedLines(burst)).toEqual([]);
    expect(burst.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    await executor.idle();
    // Containers stopped by the daemon's shutdown are cleaned up by the executor or its reaper, the pool's
    // dead ones included; what is left waits for the next call, made after the restart (afterAll: none after close).
    await executor.reap();
    expect(ownExceptWaiting()).toEqual([]);
    for (const id of pooledBefore) expect(ownContainers()).not.toContain(id);
  });
});
