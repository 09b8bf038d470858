/**
 * Placement across hosts: three workers on three hosts, labelled by zone, with 2, 1 and 2 slots. Tasks
 * with a selector land only on workers whose labels match (one no worker matches waits, queued); tasks
 * beyond the matching workers' free slots wait in the queue, and no worker ever runs more at once than
 * its slots, by the start and finish times the workers reported.
 */
import { TaskState } from '@baaaht/proto';
import type { Task, TaskFinished } from '@baaaht/proto';
import { notCompleted, waitResult } from '../fault/support/hub-checks';
import { waitUntil } from '../fault/support/processes';
import { startFleet, stopFleet, submitExec, taskStatuses } from './support/fleet';
import type { Fleet, RunningWorker } from './support/fleet';

jest.setTimeout(180_000);

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet('dispatch', [
    { role: 'w1', slots: 2, labels: { zone: 'a' } },
    { role: 'w2', slots: 1, labels: { zone: 'b' } },
    { role: 'w3', slots: 2, labels: { zone: 'b' } },
  ]);
});

afterAll(() => stopFleet(fleet));

/** Submits `exec` tasks through the operator's relay; returns their ids. */
/** `n` exec tasks `<prefix>-<pid>-<i>` running `command` (`$ID`: the task id) for workers matching `selector`. */
async function submit(prefix: string, n: number, command: string, selector: Record<string, string>): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${process.pid}-${i}`);
  await submitExec(
    fleet,
    ids.map((taskId) => ({ taskId, command: command.replace('$ID', taskId), selector })),
  );
  return ids;
}

const statuses = (ids: readonly string[]): Promise<Task[]> => taskStatuses(fleet, ids);

async function results(ids: readonly string[]): Promise<TaskFinished[]> {
  return Promise.all(ids.map((id) => waitResult(fleet.relay.addr, id)));
}

/** The most intervals open at one instant (a finish and a start at the same millisecond do not overlap). */
function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { at: i.start, d: 1 },
    { at: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (open += e.d));
  return max;
}

const running = (t: Task): boolean =>
  t.state === TaskState.TASK_STATE_RUNNING || t.state === TaskState.TASK_STATE_ASSIGNED;

describe('placement across hosts', () => {
  it('a selector sends tasks only to workers whose labels match; one nobody matches stays queued', async () => {
    const zoneA = await submit('route-a', 4, 'echo $ID', { zone: 'a' });
    const zoneB = await submit('route-b', 4, 'echo $ID', { zone: 'b' });
    const [nowhere] = await submit('route-c', 1, 'echo $ID', { zone: 'c' });
    const done = await results([...zoneA, ...zoneB]);
    expect(notCompleted(done)).toEqual([]);
    for (const f of done) expect(f.stdout.toString()).toBe(`${f.taskId}\n`);

    const placed = await statuses([...zoneA, ...zoneB]);
    const w1 = fleet.worker('w1').name;
    const zoneBWorkers = [fleet.worker('w2').name, fleet.worker('w3').name];
    for (const t of placed.slice(0, 4)) expect([t.id, t.agentName]).toEqual([t.id, w1]);
    for (const t of placed.slice(4)) expect([t.id, zoneBWorkers.includes(t.agentName)]).toEqual([t.id, true]);
    // Each worker's own log agrees: it ran exactly the tasks the hub says it did.
    const ran = (w: RunningWorker): string[] =>
      w.proc
        .logs()
        .filter((l) => l.msg === 'task completed' && typeof l['taskId'] === 'string' && /^route-/.test(l['taskId']))
        .map((l) => l['taskId'] as string)
        .sort();
    await waitUntil(
      'every worker logged its tasks',
      () => [...fleet.workers.values()].reduce((n, w) => n + ran(w).length, 0) >= 8,
    );
    for (const w of fleet.workers.values()) {
      const placedHere = placed.filter((t) => t.agentName === w.name).map((t) => t.id);
      expect([w.role, ran(w)]).toEqual([w.role, placedHere.sort()]);
    }

    const [stuck] = await statuses([nowhere as string]);
    expect([stuck?.state, stuck?.agentName, stuck?.attempts]).toEqual([TaskState.TASK_STATE_QUEUED, '', 0]);
    const client = fleet.relay.client();
    try {
      await client.cancel(nowhere as string);
      expect((await client.wait(nowhere as string)).state).toBe(TaskState.TASK_STATE_CANCELLED);
    } finally {
      client.close();
    }
  });

  it('tasks beyond the free slots of the matching workers queue; no worker runs more than its slots', async () => {
    // zone b: w2 with 1 slot and w3 with 2, so 3 of these 6 run at once and 3 wait.
    const ids = await submit('slots', 6, 'sleep 3; echo $ID', { zone: 'b' });
    let snapshot: Task[] = [];
    await waitUntil(
      'three zone-b tasks running and three queued',
      async () => {
        snapshot = await statuses(ids);
        const queued = snapshot.filter((t) => t.state === TaskState.TASK_STATE_QUEUED).length;
        return snapshot.filter(running).length === 3 && queued === 3;
      },
      60_000,
    );
    const holders = snapshot.filter(running).map((t) => t.agentName);
    expect(holders.filter((n) => n === fleet.worker('w2').name)).toHaveLength(1);
    expect(holders.filter((n) => n === fleet.worker('w3').name)).toHaveLength(2);

    const done = await results(ids);
    expect(notCompleted(done)).toEqual([]);
    const finalTasks = await statuses(ids);
    for (const role of ['w2', 'w3']) {
      const w = fleet.worker(role);
      const mine = done.filter((_, i) => finalTasks[i]?.agentName === w.name);
      const intervals = mine.map((f) => ({
        start: f.startedAt?.getTime() ?? NaN,
        end: f.finishedAt?.getTime() ?? NaN,
      }));
      expect(mine.length).toBeGreaterThan(0);
      expect([role, maxOverlap(intervals)]).toEqual([role, role === 'w2' ? 1 : 2]);
    }
    // Nothing went to zone a.
    expect(finalTasks.filter((t) => t.agentName === fleet.worker('w1').name)).toEqual([]);
  });
});
