/**
 * A worker SIGKILLed while it holds 5 live sessions and a full warm pool (issue 15): the session
 * containers keep running (their agent still waits for calls) and the pooled ones are left behind; the
 * restarted worker (same name, new instance) reaps every one of them before it says "worker ready",
 * the hub re-homes the sessions (their next call starts a new session on the new worker and says so),
 * and a drained stop at the end leaves no container at all.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import type { TaskFinished } from '@baaaht/proto';
import { containersWithLabel, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import {
  OWNER,
  expectNoRunContainers,
  startHub,
  startWorker,
  workerContainers,
  writeLoopbackPolicy,
} from './support/cluster';
import type { HubProcess } from './support/cluster';
import { notCompleted, waitResult } from './support/hub-checks';
import { killAllChildren, removeTempDirs, waitUntil } from './support/processes';
import type { CliProcess } from './support/processes';

jest.setTimeout(300_000);

const SESSIONS = 5;
/**
 * Tools whose containers differ (limits, mount mode), so each has its own pool key: with one container
 * ahead per key (the default), a waiting container for each is the full pool.
 */
const POOLED_TOOLS: Array<[string, Record<string, unknown>]> = [
  ['file_read', { path: 'notes.txt' }],
  ['grep', { pattern: 'alpha', path: '.' }],
  ['file_write', { path: 'out.txt', content: 'x' }],
];
const workerName = runScopedName('fault-sess-kill');
// A long pool idle timeout: the waiting containers must still be there when the worker is killed.
const WORKER_ARGS = ['--sessions', '--max-sessions', String(SESSIONS * 2), '--pool-idle', '10m'];

let ws: TempWorkspace;
let hub: HubProcess;
let worker: CliProcess;
let policyFile: string;
let client: HubClient;
let seq = 0;

/** Containers of the worker carrying `label` (`org.baaaht.session=1` or `org.baaaht.pool=1`), by id. */
function containersOf(label: string): string[] {
  const mine = new Set(workerContainers(workerName));
  return containersWithLabel(label).filter((id) => mine.has(id));
}

function labelOf(id: string, label: string): string {
  return execFileSync('docker', ['inspect', '--format', `{{index .Config.Labels "${label}"}}`, id], {
    encoding: 'utf8',
  }).trim();
}

async function call(tool: string, params: Record<string, unknown>, sessionId?: string): Promise<TaskFinished> {
  const taskId = `${workerName}-${++seq}`;
  await client.submit({
    taskId,
    tool,
    params,
    mountSource: ws.dir,
    ...(sessionId !== undefined ? { sessionId } : {}),
  });
  return waitResult(hub.addr, taskId, 120_000);
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\nbeta\n' }, owner: OWNER });
  // The policy's web port is never used here: only file tools run.
  policyFile = writeLoopbackPolicy(ws.dir, 9);
  hub = await startHub({ lease: '3s' });
  worker = await startWorker({ addr: hub.addr, name: workerName, policyFile, args: WORKER_ARGS });
  client = createHubClient(hub.addr);
});

afterAll(async () => {
  client?.close();
  await killAllChildren();
  ws?.cleanup();
  removeTempDirs();
  await expectNoRunContainers();
});

describe('worker SIGKILLed with live sessions and a full warm pool', () => {
  it('the restarted worker reaps every session and pool container; the sessions restart elsewhere', async () => {
    const sessionIds = Array.from({ length: SESSIONS }, (_, i) => `${workerName}-s${i}`);
    const first = await Promise.all(sessionIds.map((s) => call('file_read', { path: 'notes.txt' }, s)));
    expect(notCompleted(first)).toEqual([]);
    for (const r of first) expect(r.stdout.toString()).toBe('alpha\nbeta\n');
    // Each plain call leaves the next container of its key waiting: one per key (the default pool size).
    const plain: TaskFinished[] = [];
    for (const [tool, params] of POOLED_TOOLS) plain.push(await call(tool, params));
    expect(notCompleted(plain)).toEqual([]);
    await waitUntil(
      'a waiting pooled container for every key',
      () => containersOf('org.baaaht.pool=1').length >= POOLED_TOOLS.length,
      60_000,
    );
    const pooled = containersOf('org.baaaht.pool=1');
    expect(new Set(pooled.map((id) => labelOf(id, 'org.baaaht.pool-key'))).size).toBe(POOLED_TOOLS.length);
    const sessionContainers = containersOf('org.baaaht.session=1');
    expect(sessionContainers).toHaveLength(SESSIONS);
    expect((await client.sessions({ worker: workerName })).map((s) => s.sessionId).sort()).toEqual(
      [...sessionIds].sort(),
    );

    worker.child.kill('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');
    // Nobody removed them: the session containers still run, the pooled ones wait (or exited with their stdin).
    const orphans = workerContainers(workerName);
    expect(orphans.length).toBe(SESSIONS + POOLED_TOOLS.length);
    for (const id of [...sessionContainers, ...pooled]) expect(orphans).toContain(id);

    worker = await startWorker({ addr: hub.addr, name: workerName, policyFile, args: WORKER_ARGS });
    // The start-up reap runs before "worker ready": none of the dead instance's containers survives it.
    const survivors = workerContainers(workerName).filter((id) => orphans.includes(id));
    expect(survivors).toEqual([]);

    // A session's next call lands on the new worker in a new container, and the result says so.
    const again = await call('file_read', { path: 'notes.txt' }, sessionIds[0]);
    expect(notCompleted([again])).toEqual([]);
    expect(again.stdout.toString()).toBe('alpha\nbeta\n');
    // The holder the hub knew is gone (a new registration): the hub says the session moved.
    expect(again.sessionMoved).toBe(true);
    const now = containersOf('org.baaaht.session=1');
    expect(now).toHaveLength(1);
    expect(sessionContainers).not.toContain(now[0]);

    // A drained stop closes the new session and empties the pool: nothing of the worker is left.
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    await waitUntil('no containers of the worker', () => workerContainers(workerName).length === 0, 30_000);
    expect(workerContainers(workerName)).toEqual([]);
    fs.rmSync(path.join(ws.dir, 'out.txt'), { force: true });
  });
});
