/**
 * Faults across hosts. A partition: one worker's link is cut while it runs two tasks; the hub's
 * keepalive notices, the lease runs out, the tasks are re-queued and finished on the other hosts; the
 * cut worker finishes its copies meanwhile, and when the link returns it reconnects and reports them,
 * and the hub ignores those late results. A hub restart on the SQLite store while workers on three
 * hosts hold running tasks. Either way every task ends with exactly one result, and no container is
 * left on any host.
 */
import { TaskState } from '@baaaht/proto';
import type { Task, TaskFinished } from '@baaaht/proto';
import { workerContainers } from '../fault/support/cluster';
import { notCompleted, readStore, waitResult, watchAll } from '../fault/support/hub-checks';
import { tempDir, waitUntil } from '../fault/support/processes';
import type { CliProcess, LogLine } from '../fault/support/processes';
import { startFleet, startFleetHub, stopFleet, submitExec, taskStatuses } from './support/fleet';
import type { Fleet } from './support/fleet';

jest.setTimeout(240_000);

const HOLD_S = 5;
let fleet: Fleet;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir('hubdata');
  // w1 has the most free slots, so tasks without a selector go there first; `host` labels pin tasks.
  fleet = await startFleet(
    'faults',
    [
      { role: 'w1', slots: 3, labels: { host: 'w1' } },
      { role: 'w2', slots: 1, labels: { host: 'w2' } },
      { role: 'w3', slots: 1, labels: { host: 'w3' } },
    ],
    { hub: { dataDir, lease: '2s' } },
  );
});

afterAll(() => stopFleet(fleet));

/** Exec tasks that hold their container `HOLD_S` seconds, then print their id. */
function submit(ids: readonly string[], selector: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  return submitExec(
    fleet,
    ids.map((taskId, i) => ({ taskId, command: `sleep ${HOLD_S}; echo ${taskId}`, selector: selector(i) })),
  );
}

const statuses = (ids: readonly string[]): Promise<Task[]> => taskStatuses(fleet, ids);

function logs(proc: CliProcess, msg: string, taskId?: string): LogLine[] {
  return proc.logs().filter((l) => l.msg === msg && (taskId === undefined || l['taskId'] === taskId));
}

/** Exactly one result per task, through the client and on replay. */
async function expectOneResultEach(ids: readonly string[]): Promise<TaskFinished[]> {
  const results: TaskFinished[] = [];
  for (const id of ids) results.push(await waitResult(fleet.relay.addr, id));
  expect(notCompleted(results)).toEqual([]);
  for (const f of results) expect(f.stdout.toString()).toBe(`${f.taskId}\n`);
  const client = fleet.relay.client();
  try {
    for (const id of ids)
      expect([id, (await watchAll(client, id)).filter((e) => e.payload?.$case === 'finished').length]).toEqual([id, 1]);
  } finally {
    client.close();
  }
  return results;
}

describe('faults across hosts', () => {
  it("a partition: the cut worker's tasks finish elsewhere, its late results are ignored", async () => {
    const w1 = fleet.worker('w1');
    const others = [fleet.worker('w2').name, fleet.worker('w3').name];
    const ids = [0, 1].map((i) => `partition-${process.pid}-${i}`);
    await submit(ids);
    await waitUntil(
      'both tasks running on w1, in their containers',
      async () =>
        (await statuses(ids)).every((t) => t.state === TaskState.TASK_STATE_RUNNING && t.agentName === w1.name) &&
        workerContainers(w1.name).length === 2,
      60_000,
    );

    fleet.topology.cut('w1');
    // The hub's keepalive drops the stream, the 2 s lease runs out, both tasks go to the other hosts.
    await waitUntil(
      'both tasks re-queued and running on w2 and w3',
      async () => {
        const now = await statuses(ids);
        return now.length === 2 && now.every((t) => t.attempts === 2 && others.includes(t.agentName));
      },
      60_000,
    );
    await waitUntil('the hub logged the lease expiry', () => logs(fleet.hub.proc, 'worker lease expired').length > 0);
    expect(logs(fleet.hub.proc, 'worker lease expired')).toEqual([expect.objectContaining({ tasks: 2 })]);
    // Cut off, w1 still runs its copies to the end (the engine is local to its host) and keeps the
    // results; it notices the dead link itself and cannot dial out.
    await waitUntil(
      'w1 finished its copies and found the network unreachable',
      () =>
        ids.every((id) => logs(w1.proc, 'task completed', id).length === 1) &&
        logs(w1.proc, 'connection attempt failed').some((l) => /\(ENETUNREACH\)/.test(String(l['error']))),
      60_000,
    );

    fleet.topology.restore('w1');
    await waitUntil(
      'w1 reconnected and reported its late results, which the hub ignored',
      () =>
        logs(w1.proc, 'registered with orchestrator').length >= 2 &&
        ids.every(
          (id) => logs(fleet.hub.proc, 'ignoring finished for a task not assigned to this worker', id).length > 0,
        ),
      90_000,
    );
    // Under the same registration: the hub kept it through the partition.
    expect(logs(w1.proc, 'registered with orchestrator').map((l) => l['resumed'])).toEqual([false, true]);

    const results = await expectOneResultEach(ids);
    const final = await statuses(ids);
    for (const [i, t] of final.entries()) {
      expect([t.id, t.attempts, others.includes(t.agentName)]).toEqual([ids[i], 2, true]);
      expect(results[i]?.attempt).toBe(2);
    }
    for (const id of ids)
      expect([id, logs(fleet.hub.proc, 'task requeued', id).map((l) => l['reason'])]).toEqual([id, ['lease expired']]);
    // Back in the fleet: a task pinned to w1 runs there.
    const back = `partition-${process.pid}-back`;
    await submit([back], () => ({ host: 'w1' }));
    await expectOneResultEach([back]);
    expect((await statuses([back]))[0]?.agentName).toBe(w1.name);
    await waitUntil('no container of w1', () => workerContainers(w1.name).length === 0, 30_000);
  });

  it('a hub restart on its SQLite store while workers on three hosts run tasks: one result each', async () => {
    const roles = ['w1', 'w2', 'w3'];
    const ids = roles.map((r) => `restart-${process.pid}-${r}`);
    await submit(ids, (i) => ({ host: roles[i] as string }));
    await waitUntil(
      'one task running on each host',
      async () =>
        (await statuses(ids)).every(
          (t, i) => t.state === TaskState.TASK_STATE_RUNNING && t.agentName === fleet.worker(roles[i] as string).name,
        ) && roles.every((r) => workerContainers(fleet.worker(r).name).length === 1),
      60_000,
    );
    fleet.hub.proc.child.kill('SIGKILL');
    expect((await fleet.hub.proc.exited).signal).toBe('SIGKILL');
    // Same address, same store; a long lease, so the workers' own reconnect keeps their tasks.
    fleet.hub = await startFleetHub(fleet.topology, fleet.pki, { dataDir, lease: '30s' });

    const results = await expectOneResultEach(ids);
    // Each worker came back to the new hub holding its running task, and kept it.
    expect(logs(fleet.hub.proc, 'worker connected').map((l) => l['held'])).toEqual([1, 1, 1]);
    for (const [i, f] of results.entries()) expect([f.taskId, f.attempt]).toEqual([ids[i], 1]);
    for (const [i, r] of roles.entries()) {
      const w = fleet.worker(r);
      expect(w.proc.running()).toBe(true);
      expect([r, logs(w.proc, 'task completed', ids[i]).length]).toEqual([r, 1]);
    }
    expect(logs(fleet.hub.proc, 'task requeued')).toEqual([]);

    // Straight from the store after a clean stop: one terminal record per task, nothing unfinished.
    fleet.hub.proc.child.kill('SIGTERM');
    expect((await fleet.hub.proc.exited).code).toBe(0);
    const store = readStore(dataDir, ids);
    for (const id of ids)
      expect([id, store.states.get(id), store.attempts.get(id)]).toEqual([id, TaskState.TASK_STATE_COMPLETED, 1]);
    expect(store.unfinished).toEqual([]);
  });
});
