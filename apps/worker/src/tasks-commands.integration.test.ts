/**
 * Tasks you can see, find and cancel, through the real binaries: `orchestrator serve` on a temp unix
 * socket, a real `worker` (real containers, offline images), and `orchestrator exec / tasks / status /
 * cancel` plus `worker status` against them. A slow loopback page keeps a task running as long as needed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli, startCli, waitUntil } from './test-support/cli-process';
import { startCliStack } from './test-support/cli-stack';
import type { CliStack } from './test-support/cli-stack';
import type { TaskView } from './commands/tasks-command';
import { loopbackPolicyYaml, startFakeWeb } from './test-support/fake-web';
import type { FakeWeb } from './test-support/fake-web';

jest.setTimeout(120_000);

const IMAGES = `*=${OFFLINE_BUSYBOX_IMAGE},fetch_url=${OFFLINE_CURL_IMAGE},web_search=${OFFLINE_CURL_IMAGE}`;
const workerName = `cli-tasks-${process.pid}`;

let ws: TempWorkspace;
let web: FakeWeb;
let addr: string;
let statusAddr: string;
let stack: CliStack;

const orch = (args: string[]) => runCli('orchestrator', [...args, '--addr', addr]);

async function tasksJson(...filters: string[]): Promise<TaskView[]> {
  const r = await orch(['tasks', '--json', ...filters]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as TaskView[];
}

/** The task's state once it is no longer queued, assigned or running (polled: a detached task has no watcher). */
async function settledState(taskId: string): Promise<string> {
  for (;;) {
    const state = JSON.parse((await orch(['status', taskId, '--json'])).stdout).state as string;
    if (!['queued', 'assigned', 'running'].includes(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Submits a fetch of a page that answers after `ms`, detached; resolves once its container is fetching. */
async function startSlowTask(ms: number): Promise<string> {
  const page = `/slow?ms=${ms}&n=${Math.random().toString(36).slice(2)}`;
  const r = await orch(['exec', 'fetch_url', '--param', `url=${web.url(page)}`, '--detach']);
  expect(r.code).toBe(0);
  const taskId = r.stdout.trim();
  // The request reaching the test server means the tool's container is running right now.
  await waitUntil(() => web.requests.includes(page));
  return taskId;
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\nbeta\n' }, owner: { uid: 1234, gid: 1234 } });
  web = await startFakeWeb();
  const policyFile = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
  fs.writeFileSync(policyFile, loopbackPolicyYaml(ws.dir, web.port));
  // No --search-backend-url: this worker does not offer web_search, which the hub knows as a tool.
  stack = await startCliStack({ workerName, policyFile, images: IMAGES, workerArgs: ['--status-addr', '127.0.0.1:0'] });
  addr = stack.addr;
  statusAddr = stack.statusAddr as string;
});

afterAll(async () => {
  await stack?.stop();
  await web?.close();
  ws?.cleanup();
  expect(leftoverContainers(workerName)).toEqual([]);
});

describe('orchestrator exec names its task', () => {
  it('prints the task id in the summary line and in --json; status says it in words with the worker name', async () => {
    const text = await orch(['exec', 'file_read', '--mount', ws.dir, '--param', 'path=notes.txt']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('alpha\nbeta\n');
    const m = /^task (\S+): file_read completed in \S+ \(exit 0, container [0-9a-f]{12}\)$/m.exec(text.stderr);
    expect(m).not.toBeNull();
    const taskId = m?.[1] as string;

    const json = await orch(['exec', 'file_read', '--mount', ws.dir, '--param', 'path=notes.txt', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { taskId: string; status: string };
    expect(report).toMatchObject({ status: 'completed', taskId: expect.any(String) });
    expect(report.taskId).not.toBe(taskId);

    const status = await orch(['status', taskId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^task ${taskId}: completed\\n  tool      file_read\\n`));
    expect(status.stdout).toMatch(new RegExp(`^  worker    ${workerName} \\(agent [0-9a-f-]{36}\\)$`, 'm'));
    expect(status.stdout).toMatch(/^ {2}attempts {2}1$/m);
    expect(status.stdout).toMatch(/^ {2}created {3}\S+Z \(\S+ ago\)$/m);
    expect(status.stdout).toMatch(/^ {2}duration {2}\S+$/m);
    expect(status.stdout).toMatch(/^ {2}result {4}file_read completed in /m);
    expect(status.stdout).not.toMatch(/TASK_STATE_/);
    const statusJson = JSON.parse((await orch(['status', taskId, '--json'])).stdout);
    expect(statusJson).toMatchObject({
      taskId,
      tool: 'file_read',
      state: 'completed',
      worker: workerName,
      attempts: 1,
      error: null,
      result: { status: 'completed', stdout: 'alpha\nbeta\n' },
    });
    expect(statusJson.durationMs).toBeGreaterThan(0);
  });

  it('--detach submits and prints only the id (with --json: {"taskId": ...}), exit 0', async () => {
    const plain = await orch(['exec', 'file_read', '--mount', ws.dir, '--param', 'path=notes.txt', '--detach']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^\S+\n$/);
    const taskId = plain.stdout.trim();
    const json = await orch(['exec', 'list', '--mount', ws.dir, '--detach', '--json']);
    expect(json.code).toBe(0);
    const detached = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(detached)).toEqual(['taskId']);
    // Both were really submitted, and run to completion without anybody watching.
    for (const id of [taskId, String(detached['taskId'])]) expect(await settledState(id)).toBe('completed');
  });
});

describe('a tool no connected worker offers', () => {
  it('warns at once, ends at --queue-timeout with QUEUE_TIMEOUT (exit 1), and leaves nothing queued', async () => {
    const r = await orch(['exec', 'web_search', '--param', 'query=baaaht', '--queue-timeout', '1s']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('orchestrator: no connected worker offers web_search; waiting up to 1s (--queue-timeout)...');
    const m =
      /^orchestrator: task (\S+): no worker took web_search within 1s \(--queue-timeout\); it was cancelled on the orchestrator$/.exec(
        lines.at(-1) ?? '',
      );
    expect(m).not.toBeNull();
    const taskId = m?.[1] as string;
    expect(await tasksJson('--state', 'queued')).toEqual([]);
    expect(await tasksJson('--tool', 'web_search')).toEqual([
      expect.objectContaining({ taskId, state: 'cancelled', worker: null, attempts: 0 }),
    ]);

    const json = await orch(['exec', 'web_search', '--param', 'query=x', '--queue-timeout', '1s', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      taskId: expect.any(String),
      tool: 'web_search',
      status: 'error',
      error: { code: 'QUEUE_TIMEOUT' },
    });
  });

  it('the warning comes while it is still waiting (default queue timeout); Ctrl-C cancels the queued task', async () => {
    const exec = startCli('orchestrator', ['exec', 'web_search', '--param', 'query=wait', '--addr', addr]);
    await exec.waitFor(/no connected worker offers web_search; waiting up to 1m \(--queue-timeout\)\.\.\./);
    expect(exec.child.exitCode).toBeNull();
    const [queued] = await tasksJson('--state', 'queued', '--tool', 'web_search');
    expect(queued).toMatchObject({ state: 'queued', worker: null });
    exec.child.kill('SIGINT');
    const r = await exec.exited;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^task \S+: web_search cancelled in /m);
    expect(JSON.parse((await orch(['status', queued?.taskId as string, '--json'])).stdout).state).toBe('cancelled');
  });
});

describe('orchestrator tasks', () => {
  it('lists newest first with words and worker names; filters by state, tool and worker; --json; bounded', async () => {
    const all = await tasksJson();
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const t of all) expect(t.state).toMatch(/^[a-z]+$/);
    const reads = await tasksJson('--tool', 'file_read', '--state', 'completed');
    expect(reads.length).toBeGreaterThanOrEqual(3);
    for (const t of reads) {
      expect(t).toMatchObject({ tool: 'file_read', state: 'completed', worker: workerName, attempts: 1 });
      expect(t.agentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(t.durationMs).toBeGreaterThan(0);
    }
    expect((await tasksJson('--worker', workerName)).every((t) => t.worker === workerName)).toBe(true);
    expect(await tasksJson('--worker', 'nobody-by-this-name')).toEqual([]);
    expect(await tasksJson('--state', 'cancelled,completed', '--tool', 'list')).toEqual([
      expect.objectContaining({ tool: 'list', state: 'completed' }),
    ]);

    // Not a terminal: tab-separated, the header first, the newest first.
    const plain = await orch(['tasks', '--limit', '2']);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('ID\tTOOL\tSTATE\tWORKER\tATTEMPTS\tAGE\tDURATION');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).map((l) => l.split('\t')[0])).toEqual(all.slice(0, 2).map((t) => t.taskId));
    expect(plain.stderr).toBe('orchestrator: showing the newest 2 tasks; --limit shows more\n');

    const none = await orch(['tasks', '--worker', 'nobody-by-this-name']);
    expect(none.stdout).toBe('no tasks\n');
    const bad = await orch(['tasks', '--state', 'finished']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^orchestrator: --state: unknown state "finished" \(one of .*completed.*\)\n$/);
  });
});

describe('a running task: seen on the worker, cancelled from the orchestrator', () => {
  it("worker /status.json and worker status list it with its container; tasks shows it running with the worker's name", async () => {
    const taskId = await startSlowTask(60_000);
    const containers = execFileSync(
      'docker',
      ['ps', '--no-trunc', '--filter', `label=org.baaaht.worker-id=${workerName}`, '--format', '{{.ID}}'],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);

    const status = (await (await fetch(`http://${statusAddr}/status.json`)).json()) as {
      tasks: { taskId: string; tool: string; state: string; since: string; containerId: string; sessionId: string }[];
    };
    const live = status.tasks.find((t) => t.taskId === taskId);
    expect(live).toMatchObject({ tool: 'fetch_url', state: 'running', sessionId: workerName });
    expect(containers).toContain(live?.containerId);
    expect(Date.parse(live?.since ?? '')).toBeLessThanOrEqual(Date.now());

    const text = await runCli('worker', ['status', '--addr', statusAddr]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^worker ${workerName} \\(agent [0-9a-f-]{36}\\): ready\\n`));
    expect(text.stdout).toContain('TASK\tTOOL\tSTATE\tSINCE\tCONTAINER\tSESSION\n');
    expect(text.stdout).toMatch(
      new RegExp(
        `^${taskId}\\tfetch_url\\trunning\\t\\S+ ago\\t${live?.containerId.slice(0, 12)}\\t${workerName}$`,
        'm',
      ),
    );
    const json = await runCli('worker', ['status', '--addr', statusAddr, '--json']);
    expect(JSON.parse(json.stdout).tasks).toEqual(expect.arrayContaining([expect.objectContaining({ taskId })]));

    expect(await tasksJson('--state', 'running')).toEqual([
      expect.objectContaining({
        taskId,
        tool: 'fetch_url',
        state: 'running',
        worker: workerName,
        durationMs: expect.any(Number),
      }),
    ]);
    const cancelled = await orch(['cancel', taskId, '--force']);
    expect(cancelled.code).toBe(0);
  });

  it('cancel of a running task: it ends cancelled on the worker; of a finished one and an unknown id: clear messages', async () => {
    const taskId = await startSlowTask(60_000);
    const r = await orch(['cancel', taskId]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`task ${taskId} cancelled on ${workerName}, stopped gracefully\n`);
    expect(r.code).toBe(0);
    const status = await orch(['status', taskId]);
    expect(status.stdout).toMatch(new RegExp(`^task ${taskId}: cancelled\\n`));
    expect(status.stdout).toMatch(/^ {2}error {5}CANCELLED: /m);
    await waitUntil(() => leftoverContainers(workerName).length === 0);
    const running = (await (await fetch(`http://${statusAddr}/status.json`)).json()) as { tasks: unknown[] };
    expect(running.tasks).toEqual([]);

    const again = await orch(['cancel', taskId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`orchestrator: task ${taskId} already finished (cancelled): nothing to cancel\n`);
    const againJson = await orch(['cancel', taskId, '--json']);
    expect(againJson.code).toBe(1);
    expect(JSON.parse(againJson.stdout)).toMatchObject({ taskId, outcome: 'already-finished', state: 'cancelled' });

    const unknown = await orch(['cancel', 'no-such-task']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'orchestrator: no task "no-such-task" on this orchestrator (orchestrator tasks lists them)\n',
    );
    const unknownStatus = await orch(['status', 'no-such-task']);
    expect(unknownStatus.code).toBe(2);
    expect(unknownStatus.stderr).toMatch(/^orchestrator: no task "no-such-task" on this orchestrator/);
  });

  it('cancel --force kills at once and says so in --json', async () => {
    const taskId = await startSlowTask(60_000);
    const r = await orch(['cancel', taskId, '--force', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      taskId,
      outcome: 'cancelled',
      state: 'cancelled',
      worker: workerName,
      stopMode: 'force',
    });
  });
});
