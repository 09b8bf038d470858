/**
 * Sessions through the real binaries: `orchestrator serve` on a temp unix socket, two real workers (real
 * containers, offline images), and `orchestrator exec --session / sessions / session close` against them.
 * Proves the hub's affinity (a session's calls land on the worker holding it even when plain dispatch
 * would pick the other, idler one), the listing with the holder's name, and the close routed to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli, startCli, waitUntil } from './test-support/cli-process';
import type { CliProcess } from './test-support/cli-process';
import { startCliStack } from './test-support/cli-stack';
import type { CliStack } from './test-support/cli-stack';
import type { SessionView } from './commands/sessions-command';
import type { TaskView } from './commands/tasks-command';
import { loopbackPolicyYaml, startFakeWeb } from './test-support/fake-web';
import type { FakeWeb } from './test-support/fake-web';

jest.setTimeout(120_000);

const IMAGES = `*=${OFFLINE_BUSYBOX_IMAGE},fetch_url=${OFFLINE_CURL_IMAGE}`;
const prefix = `cli-sess-${process.pid}`;
const nameA = `${prefix}-a`;
const nameB = `${prefix}-b`;
const SESSION_ARGS = ['--sessions'];

let ws: TempWorkspace;
let web: FakeWeb;
let addr: string;
let stack: CliStack;
let workerB: CliProcess;

const orch = (args: string[]) => runCli('orchestrator', [...args, '--addr', addr]);

async function status(taskId: string): Promise<TaskView> {
  const r = await orch(['status', taskId, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as TaskView;
}

async function sessionsJson(): Promise<SessionView[]> {
  const r = await orch(['sessions', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SessionView[];
}

/** `orchestrator exec file_read --session ID`; resolves with the task id. */
async function readInSession(sessionId: string): Promise<string> {
  const r = await orch([
    'exec',
    'file_read',
    '--mount',
    ws.dir,
    '--param',
    'path=notes.txt',
    '--session',
    sessionId,
    '--json',
  ]);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { taskId: string; stdout: string };
  expect(out.stdout).toBe('alpha\nbeta\n');
  return out.taskId;
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\nbeta\n' }, owner: { uid: 1234, gid: 1234 } });
  web = await startFakeWeb();
  const policyFile = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
  fs.writeFileSync(policyFile, loopbackPolicyYaml(ws.dir, web.port));
  stack = await startCliStack({ workerName: nameA, policyFile, images: IMAGES, workerArgs: SESSION_ARGS });
  addr = stack.addr;
  workerB = startCli(
    'worker',
    ['--orchestrator-addr', addr, '--name', nameB, '--policy', policyFile, '--log-format', 'json', ...SESSION_ARGS],
    { env: cleanEnv({ WORKER_TOOL_IMAGE: IMAGES }) },
  );
  await workerB.waitFor(/"msg":"worker ready"/);
});

afterAll(async () => {
  await workerB?.stop();
  await stack?.stop();
  await web?.close();
  ws?.cleanup();
  expect(leftoverContainers(prefix)).toEqual([]);
});

describe('orchestrator exec --session, sessions, session close', () => {
  it("keeps a session's calls on its worker, lists it with that worker's name, and routes the close there", async () => {
    const first = await readInSession('s1');
    const holder = (await status(first)).worker as string;
    expect([nameA, nameB]).toContain(holder);

    // Busy the holder: with both idle, plain dispatch picks the first worker with the most free slots,
    // which is the holder again; once it runs this, plain dispatch would send the next call to the other.
    const page = `/slow?ms=20000&n=${Math.random().toString(36).slice(2)}`;
    const slow = await orch(['exec', 'fetch_url', '--param', `url=${web.url(page)}`, '--detach']);
    expect(slow.code).toBe(0);
    await waitUntil(() => web.requests.includes(page));
    const slowId = slow.stdout.trim();
    const slowOn = (await status(slowId)).worker;

    const second = await readInSession('s1');
    expect((await status(second)).worker).toBe(holder);
    // The check above only means something if the holder was the busier worker when the call came.
    expect(slowOn).toBe(holder);

    const listed = (await sessionsJson()).find((s) => s.sessionId === 's1');
    expect(listed).toMatchObject({ sessionId: 's1', worker: holder });
    expect(listed?.calls).toBeGreaterThanOrEqual(2);
    expect(listed?.lastUsedAgoMs).not.toBeNull();
    const table = await orch(['sessions']);
    expect(table.stdout).toMatch(new RegExp(`^s1\\t${holder}\\t`, 'm'));

    const closed = await orch(['session', 'close', 's1']);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toBe(`session s1 closed on ${holder}\n`);
    expect((await sessionsJson()).map((s) => s.sessionId)).not.toContain('s1');

    const unknown = await orch(['session', 'close', 'no-such-session']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no session "no-such-session" on this orchestrator');
    // Leave no container behind: stop the slow task if it is still fetching (cancel waits for its report).
    await orch(['cancel', slowId, '--force']);
    expect(['completed', 'cancelled']).toContain((await status(slowId)).state);
  });
});
