/**
 * Load: FAULT_LOAD_TASKS (default 2,000) small real tasks (file_read of a 1 KB
 * file) through one hub and two workers with 4 slots each, all child
 * processes. Every result arrives exactly once, both workers take work, no
 * container is left, and neither the hub nor the workers grow in open file
 * descriptors or resident memory between a ~50-task warm-up and the end.
 */
import { createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import { TaskState, taskStateWord } from '@baaaht/proto';
import type { TaskError } from '@baaaht/proto';
import { createTempWorkspace, resultLines, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { OWNER, expectNoRunContainers, startHub, startWorker, workerContainers } from './support/cluster';
import type { HubProcess } from './support/cluster';
import { killAllChildren, procSample, removeTempDirs, sleep, waitUntil } from './support/processes';
import type { CliProcess } from './support/processes';

const TASKS = Number(process.env['FAULT_LOAD_TASKS'] ?? 2000);
const WARMUP = Math.min(50, TASKS);
const SLOTS = 4;
/** Outstanding submit+wait loops: enough to keep 8 slots busy and the queue non-empty. */
const CONCURRENCY = 24;
const RUN_LIMIT_MS = 8 * 60_000;
const FD_MARGIN = 10;
const RSS_MARGIN = 40 * 1024 * 1024;

jest.setTimeout(RUN_LIMIT_MS + 120_000);

const CONTENT = `${'0123456789abcdef'.repeat(63)}load-test-end\n`.slice(0, 1024);

let ws: TempWorkspace;
let hub: HubProcess;
const workers: CliProcess[] = [];
const names = [runScopedName('fault-load-a'), runScopedName('fault-load-b')];

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'one-kb.txt': CONTENT }, owner: OWNER });
  hub = await startHub({ lease: '30s' });
  for (const name of names)
    workers.push(
      await startWorker({
        addr: hub.addr,
        name,
        slots: SLOTS,
        args: ['--workspace-root', ws.dir, '--log-level', 'info'],
      }),
    );
  const client = createHubClient(hub.addr);
  try {
    await waitUntil(
      'both workers registered',
      async () => (await client.workers()).filter((w) => w.connected).length === 2,
      60_000,
    );
  } finally {
    client.close();
  }
});

afterAll(async () => {
  await killAllChildren();
  ws?.cleanup();
  removeTempDirs();
  for (const name of names) expect(workerContainers(name)).toEqual([]);
  await expectNoRunContainers();
});

interface Outcome {
  taskId: string;
  state: TaskState;
  stdout: string;
  error: TaskError | undefined;
}

/** Why a task's outcomes are not exactly one COMPLETED result with the file's bytes, or undefined when they are. */
function badOutcome(taskId: string, list: readonly Outcome[]): string | undefined {
  const lines = resultLines(list.map((o) => ({ ...o, status: taskStateWord(o.state) })));
  if (list.length !== 1) return `${taskId} finished ${list.length} times: ${lines.join('; ')}`;
  const [only] = lines;
  if (list[0]!.state !== TaskState.TASK_STATE_COMPLETED) return only;
  if (list[0]!.stdout !== CONTENT) return `${only} with stdout ${JSON.stringify(list[0]!.stdout.slice(0, 80))}`;
  return undefined;
}

async function runRange(
  client: HubClient,
  from: number,
  to: number,
  deadline: number,
  out: Map<string, Outcome[]>,
): Promise<void> {
  let next = from;
  const loop = async (): Promise<void> => {
    while (next < to) {
      if (Date.now() > deadline) throw new Error(`load run exceeded ${RUN_LIMIT_MS} ms at task ${next}`);
      const taskId = `load-${process.pid}-${next++}`;
      const submitted = await client.submit({
        taskId,
        tool: 'file_read',
        params: { path: 'one-kb.txt' },
        mountSource: ws.dir,
      });
      expect(submitted.created).toBe(true);
      const finished = await client.wait(taskId);
      const list = out.get(taskId) ?? [];
      list.push({ taskId, state: finished.state, stdout: finished.stdout.toString(), error: finished.error });
      out.set(taskId, list);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
}

describe(`load: ${TASKS} file_read tasks over 2 workers x ${SLOTS} slots`, () => {
  it('every result arrives exactly once, with no fd or memory growth', async () => {
    const client = createHubClient(hub.addr, { rpcTimeoutMs: 60_000 });
    const results = new Map<string, Outcome[]>();
    const deadline = Date.now() + RUN_LIMIT_MS;
    try {
      await runRange(client, 0, WARMUP, deadline, results);
      await sleep(1_000);
      const pids = { hub: hub.proc.pid, [names[0] as string]: workers[0]!.pid, [names[1] as string]: workers[1]!.pid };
      const baseline = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procSample(pid)]));

      const t0 = Date.now();
      await runRange(client, WARMUP, TASKS, deadline, results);
      const elapsedMs = Date.now() - t0;
      const measured = TASKS - WARMUP;
      // Let removals that run after each result finish before sampling.
      await waitUntil(
        'workers idle (no containers)',
        () => names.every((n) => workerContainers(n).length === 0),
        60_000,
      );
      await sleep(2_000);
      const end = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procSample(pid)]));
      const rows = Object.keys(pids).map((k) => {
        const b = baseline[k]!;
        const e = end[k]!;
        return `${k}: fds ${b.fds} -> ${e.fds}, rss ${(b.rssBytes / 2 ** 20).toFixed(1)} -> ${(e.rssBytes / 2 ** 20).toFixed(1)} MiB`;
      });
      console.log(
        `load: ${measured} tasks in ${(elapsedMs / 1000).toFixed(1)} s = ${((measured * 1000) / elapsedMs).toFixed(1)} tasks/s (after ${WARMUP} warm-up)\n${rows.join('\n')}`,
      );

      // Exactly once, all completed, each with the file's bytes.
      expect(results.size).toBe(TASKS);
      // Each bad one as `<taskId> <status> <code>: <message>` (the first 20).
      const bad = [...results].flatMap(([taskId, list]) => badOutcome(taskId, list) ?? []);
      expect({ bad: bad.length, first: bad.slice(0, 20) }).toEqual({ bad: 0, first: [] });

      // The hub handed each task out once; the workers between them ran each once.
      const sample = [...results.keys()].filter((_, i) => i % 10 === 0);
      for (const taskId of sample) expect([taskId, (await client.status(taskId)).attempts]).toEqual([taskId, 1]);
      const ran = new Map<string, number>();
      const perWorker = workers.map((w) => {
        const done = w.logs().filter((l) => l.msg === 'task completed' && typeof l['taskId'] === 'string');
        for (const l of done) ran.set(l['taskId'] as string, (ran.get(l['taskId'] as string) ?? 0) + 1);
        return done.length;
      });
      expect(perWorker.every((n) => n > 0)).toBe(true);
      expect(ran.size).toBe(TASKS);
      expect([...ran.values()].every((n) => n === 1)).toBe(true);

      for (const k of Object.keys(pids)) {
        expect([k, end[k]!.fds]).toEqual([k, expect.any(Number)]);
        expect(end[k]!.fds).toBeLessThanOrEqual(baseline[k]!.fds + FD_MARGIN);
        expect(end[k]!.rssBytes).toBeLessThanOrEqual(baseline[k]!.rssBytes + RSS_MARGIN);
      }
    } finally {
      client.close();
    }
  });
});
