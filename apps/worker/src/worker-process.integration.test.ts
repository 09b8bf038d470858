/**
 * The whole thing through the real binaries: `orchestrator serve` on a temp
 * unix socket, a real `worker` connected to it, tasks submitted with
 * `orchestrator exec` and run in real containers; the worker's status
 * endpoints; SIGHUP policy reload; SIGTERM drain with a task in flight.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli, startCli, tempSocketPath, waitUntil } from './test-support/cli-process';
import type { CliProcess } from './test-support/cli-process';
import { loopbackPolicyYaml, startFakeWeb } from './test-support/fake-web';
import type { FakeWeb } from './test-support/fake-web';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const IMAGES = `*=${OFFLINE_BUSYBOX_IMAGE},fetch_url=${OFFLINE_CURL_IMAGE},web_search=${OFFLINE_CURL_IMAGE}`;
const workerName = runScopedName('cli-e2e');

let ws: TempWorkspace;
let web: FakeWeb;
let policyFile: string;
let addr: string;
let orchestrator: CliProcess;
let worker: CliProcess;
let statusBase: string;

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

function logLines(p: CliProcess): LogLine[] {
  return p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** The id of the worker's latest finished task of `tool`, from its task log lines. */
function lastTaskId(tool: string): string {
  const line = logLines(worker)
    .filter((l) => l['component'] === 'task' && l['tool'] === tool && /^task (completed|did not complete)$/.test(l.msg))
    .at(-1);
  if (line === undefined) throw new Error(`no finished ${tool} task in the worker log`);
  return String(line['taskId']);
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\nbeta\n' }, owner: OWNER });
  web = await startFakeWeb();
  policyFile = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
  fs.writeFileSync(policyFile, loopbackPolicyYaml(ws.dir, web.port));
  addr = `unix://${tempSocketPath('hub')}`;
  orchestrator = startCli('orchestrator', ['serve', '--listen', addr, '--log-format', 'json', '--lease', '10s']);
  await orchestrator.waitFor(/"msg":"orchestrator listening"/);
  worker = startCli(
    'worker',
    [
      '--orchestrator-addr',
      addr,
      '--name',
      workerName,
      '--policy',
      policyFile,
      '--status-addr',
      '127.0.0.1:0',
      '--log-format',
      'json',
      '--log-level',
      'debug',
      '--heartbeat-interval',
      '2s',
    ],
    { env: cleanEnv({ WORKER_TOOL_IMAGE: IMAGES }) },
  );
  const m = await worker.waitFor(/"address":"([^"]+)","msg":"status server ready"/);
  statusBase = `http://${m[1] as string}`;
  await worker.waitFor(/"msg":"worker ready"/);
});

afterAll(async () => {
  await worker?.stop();
  if (orchestrator) {
    orchestrator.child.kill('SIGTERM');
    const r = await orchestrator.exited;
    expect(r.code).toBe(0);
  }
  await web?.close();
  ws?.cleanup();
  expect(leftoverContainers(workerName)).toEqual([]);
});

describe('orchestrator + worker (real binaries, real containers)', () => {
  it('the orchestrator lists the connected worker', async () => {
    const r = await runCli('orchestrator', ['workers', '--addr', addr, '--json']);
    expect(r.code).toBe(0);
    const workers = JSON.parse(r.stdout) as Array<{
      name: string;
      connected: boolean;
      draining: boolean;
      freeSlots: number;
    }>;
    expect(workers).toEqual([
      expect.objectContaining({ name: workerName, connected: true, draining: false, freeSlots: 4 }),
    ]);
    // Started without --search-backend-url: web_search is not offered (ListWorkers carries the tool list).
    const tools = (workers[0] as unknown as { tools: string[] }).tools;
    expect(tools).toEqual(expect.arrayContaining(['file_read', 'file_edit', 'fetch_url']));
    expect(tools).not.toContain('web_search');
    const text = await runCli('orchestrator', ['workers', '--addr', addr]);
    expect(text.stdout).toMatch(
      new RegExp(`^NAME +ID +STATE +FREE +RUNNING\\n${workerName} +\\S+ +connected +4 +0\\n$`),
    );
  });

  it('orchestrator exec --json runs a task on the worker and prints the worker-run JSON', async () => {
    const r = await runCli('orchestrator', [
      'exec',
      'file_read',
      '--addr',
      addr,
      '--mount',
      ws.dir,
      '--param',
      'path=notes.txt',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report).sort()).toEqual([
      'containerId',
      'durationMs',
      'error',
      'exitCode',
      'status',
      'stderr',
      'stdout',
      'taskId',
      'tool',
      'truncated',
    ]);
    expect(report).toMatchObject({
      tool: 'file_read',
      status: 'completed',
      exitCode: 0,
      stdout: 'alpha\nbeta\n',
      error: null,
    });
    expect(report.containerId).toMatch(/^[0-9a-f]{12,64}$/);

    // Every task log line carries taskId, tool and a 12-character containerId.
    const done = logLines(worker).find(
      (l) => l.msg === 'task completed' && l['component'] === 'task' && l['tool'] === 'file_read',
    );
    expect(done).toMatchObject({ component: 'task', tool: 'file_read', status: 'completed' });
    expect(String(done?.['containerId'])).toBe(String(report.containerId).slice(0, 12));
    const taskId = String(done?.['taskId']);

    const status = await runCli('orchestrator', ['status', taskId, '--addr', addr, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      taskId,
      tool: 'file_read',
      state: 'completed',
      attempts: 1,
      result: { status: 'completed', stdout: 'alpha\nbeta\n' },
    });
  });

  it('orchestrator exec without --json streams the output; a failing task exits 1', async () => {
    const ok = await runCli('orchestrator', [
      'exec',
      'fetch_url',
      '--addr',
      addr,
      '--param',
      `url=${web.url('/page')}`,
    ]);
    expect(ok.stdout).toBe('hello from the loopback test server\n');
    expect(ok.stderr).toMatch(/^task \S+: fetch_url completed in /m);
    expect(ok.code).toBe(0);
    const bad = await runCli('orchestrator', [
      'exec',
      'file_read',
      '--addr',
      addr,
      '--mount',
      ws.dir,
      '--param',
      'path=missing.txt',
      '--json',
    ]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).status).not.toBe('completed');
    const usage = await runCli('orchestrator', ['exec', 'nope', '--addr', addr, '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ status: 'error', error: { code: 'UNKNOWN_TOOL' } });
  });

  it("orchestrator exec --json and the hub's stored result keep the error's detail (file_edit: EDIT_NO_MATCH)", async () => {
    const r = await runCli('orchestrator', [
      'exec',
      'file_edit',
      '--addr',
      addr,
      '--mount',
      ws.dir,
      '--param',
      'path=notes.txt',
      '--param',
      'old_string=absent',
      '--param',
      'new_string=x',
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      tool: 'file_edit',
      status: 'failed',
      error: { code: 'TOOL_FAILED', detail: 'EDIT_NO_MATCH' },
    });
    const status = await runCli('orchestrator', ['status', lastTaskId('file_edit'), '--addr', addr, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      result: { status: 'failed', error: { code: 'TOOL_FAILED', detail: 'EDIT_NO_MATCH' } },
    });
  });

  it('a task that times out on the worker: exec --json and the stored result have status timeout and the partial stdout', async () => {
    const r = await runCli('orchestrator', [
      'exec',
      'fetch_url',
      '--addr',
      addr,
      '--param',
      `url=${web.url('/stall?bytes=5000')}`,
      '--timeout',
      '3s',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      tool: 'fetch_url',
      status: 'timeout',
      truncated: false,
      error: { code: 'TIMEOUT' },
    });
    expect(report.stdout).toBe('x'.repeat(5000));
    const status = await runCli('orchestrator', ['status', lastTaskId('fetch_url'), '--addr', addr, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: 'timeout',
      result: { status: 'timeout', stdout: 'x'.repeat(5000) },
    });
  });

  it('serves /healthz, /readyz, /metrics and /status.json on 127.0.0.1', async () => {
    expect(statusBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${statusBase}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${statusBase}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${statusBase}/metrics`)).text();
    expect(metrics).toMatch(/^baaaht_worker_tasks_total\{status="completed"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^baaaht_worker_running_tasks 0$/m);
    expect(metrics).toMatch(/^baaaht_worker_connection_state\{state="ready"\} 1$/m);
    expect(metrics).toMatch(/^baaaht_worker_reconnects_total 0$/m);
    expect(metrics).toMatch(/^baaaht_worker_egress_decisions_total\{decision="allowed"\} [1-9]\d*$/m);
    const status = (await (await fetch(`${statusBase}/status.json`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      ready: true,
      name: workerName,
      connection: 'ready',
      registered: true,
      draining: false,
      runningTasks: 0,
    });
  });

  it('SIGHUP reloads the policy, and keeps the old one when the new file is bad', async () => {
    const good = fs.readFileSync(policyFile, 'utf8');
    fs.writeFileSync(policyFile, 'mode: sometimes\n');
    worker.child.kill('SIGHUP');
    await worker.waitFor(/sometimes[^\n]*"msg":"SIGHUP: policy rejected; previous policy stays in force"/);
    fs.writeFileSync(policyFile, good);
    worker.child.kill('SIGHUP');
    await worker.waitFor(/"msg":"SIGHUP: policy reloaded"/);
  });

  it('Ctrl-C on orchestrator exec cancels the task on the worker and reports it', async () => {
    const exec = startCli('orchestrator', [
      'exec',
      'fetch_url',
      '--addr',
      addr,
      '--param',
      `url=${web.url('/slow?ms=30001')}`,
      '--json',
    ]);
    await waitUntil(() => web.requests.includes('/slow?ms=30001'));
    exec.child.kill('SIGINT');
    const r = await exec.exited;
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ tool: 'fetch_url', status: 'cancelled' });
  });

  it('a second worker with the explicit --name of a live worker refuses to start (exit 2) and says why', async () => {
    const r = await runCli('worker', ['--orchestrator-addr', addr, '--name', workerName], {
      env: cleanEnv({ WORKER_TOOL_IMAGE: IMAGES }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`worker id '${workerName}' is held by live instance .* \\(pid \\d+\\)`));
    expect(r.stderr).toMatch(/--name/);
  });

  it('two workers with the default name on one host: the second takes <name>-N and says so', async () => {
    const args = ['--orchestrator-addr', addr, '--log-format', 'json'];
    const first = startCli('worker', args, { env: cleanEnv({ WORKER_TOOL_IMAGE: IMAGES }) });
    let second: CliProcess | undefined;
    try {
      await first.waitFor(/"msg":"worker ready"/);
      second = startCli('worker', args, { env: cleanEnv({ WORKER_TOOL_IMAGE: IMAGES }) });
      const m = await second.waitFor(/another live worker on this host is named '([^']+)'; this one is '([^']+)'/);
      expect(m[2]).toMatch(new RegExp(`^${m[1] as string}-\\d+$`));
      await second.waitFor(/"msg":"worker ready"/);
      // Another default-named worker of this project may run on the machine: then the first one was renamed too.
      const firstName = /this one is '([^']+)'/.exec(first.stdout())?.[1] ?? (m[1] as string);
      expect(firstName).not.toBe(m[2]);
      const listed = await runCli('orchestrator', ['workers', '--addr', addr, '--json']);
      const names = (JSON.parse(listed.stdout) as Array<{ name: string }>).map((w) => w.name);
      expect(names).toEqual(expect.arrayContaining([firstName, m[2]]));
    } finally {
      await second?.stop();
      await first.stop();
    }
  });

  it('SIGTERM drains: the task in flight finishes and is reported, then the worker exits 0', async () => {
    const exec = startCli('orchestrator', [
      'exec',
      'fetch_url',
      '--addr',
      addr,
      '--param',
      `url=${web.url('/slow?ms=3000')}`,
      '--json',
    ]);
    // The request reaching the test server means the tool's container is running right now.
    await waitUntil(() => web.requests.includes('/slow?ms=3000'));
    worker.child.kill('SIGTERM');
    await worker.waitFor(/"msg":"draining, send again to force"/);
    const result = await exec.exited;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      tool: 'fetch_url',
      status: 'completed',
      stdout: 'slow page done\n',
    });
    const exited = await worker.exited;
    expect(exited.code).toBe(0);
    const msgs = logLines(worker).map((l) => l.msg);
    const drainAt = msgs.indexOf('draining, send again to force');
    const fetchDone = logLines(worker).findIndex(
      (l) =>
        l.msg === 'task completed' &&
        l['component'] === 'task' &&
        l['tool'] === 'fetch_url' &&
        (l['durationMs'] as number) >= 2000,
    );
    expect(drainAt).toBeGreaterThan(-1);
    expect(drainAt).toBeLessThan(fetchDone);
    expect(msgs).toContain('drained');
    expect(msgs.at(-1)).toBe('worker stopped');
  });
});
