/**
 * A hostile input corpus, through `worker run --json` (the real CLI, the real
 * executor and policy) and through the hub (`client.submit` to a real worker):
 * path traversal in every file tool's path, a planted symlink to a host secret,
 * shell/option injection, NUL bytes, 10 MB parameters, broken Unicode, unknown
 * tools, malformed and oversized gRPC, egress to loopback/private/metadata
 * addresses and via a redirect, and a 1 GB output. Misbehaving tools (fork bomb,
 * memory hog, infinite loop) run through an in-process executor with a
 * test-only tool. Each case ends with a typed error or a bounded result, the
 * secret never shows up anywhere, and afterwards a normal task still completes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HubError, createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import { TaskState } from '@baaaht/proto';
import type { TaskFinished } from '@baaaht/proto';
import { createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { TaskReport as Report } from '../../apps/worker/src/task-output';
import {
  openTestExecutor,
  testWorkerId,
  waitingPoolContainers,
  workerContainers as executorContainers,
} from '../../packages/executor/src/test-support/integration';
import {
  OWNER,
  TOOL_IMAGES,
  expectNoRunContainers,
  startHub,
  startWorker,
  workerContainers,
  writeLoopbackPolicy,
} from './support/cluster';
import type { HubProcess } from './support/cluster';
import { rawGrpcCall, sendRaw } from './support/grpc-raw';
import { waitResult } from './support/hub-checks';
import { cleanEnv, killAllChildren, removeTempDirs, runCli, stopGracefully, tempDir } from './support/processes';
import type { CliProcess } from './support/processes';
import { startTestWeb } from './support/web';
import type { TestWeb } from './support/web';

jest.setTimeout(600_000);

const FILE_TOOLS = ['file_read', 'file_write', 'file_edit', 'grep', 'find', 'list'] as const;
type FileTool = (typeof FILE_TOOLS)[number];
const TRAVERSALS = ['../x', 'a/../../x', '/etc/passwd', '/workspace/../etc'];
const INJECTIONS = ['; rm -rf /', '$(id)', '`id`', '--help', '-rf', 'x\nid\n'];
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const workerName = runScopedName('fault-hostile');

/** The other parameters each file tool needs besides `path`. */
function fileParams(tool: FileTool, p: string): Record<string, unknown> {
  switch (tool) {
    case 'file_write':
      return { path: p, content: 'x' };
    case 'file_edit':
      return { path: p, old_string: 'a', new_string: 'b' };
    case 'grep':
      return { pattern: 'root', path: p };
    default:
      return { path: p };
  }
}

let ws: TempWorkspace;
let secretDir: string;
let web: TestWeb;
let hub: HubProcess;
let worker: CliProcess;
let policyFile: string;
let client: HubClient;
/** Every byte any case produced, to search for the secret at the end. */
const seen: string[] = [];

beforeAll(async () => {
  secretDir = tempDir('secret');
  fs.writeFileSync(path.join(secretDir, 'secret.txt'), `${SECRET}\n`);
  ws = createTempWorkspace({
    files: { 'notes.txt': 'alpha\nbeta\n', 'edit.txt': 'a a a\n', 'sentinel.txt': 'still here\n' },
    owner: OWNER,
  });
  // Planted by a hostile earlier task or user: links out of the workspace to the host secret.
  fs.symlinkSync(path.join(secretDir, 'secret.txt'), ws.path('leak.txt'));
  fs.symlinkSync(secretDir, ws.path('leakdir'));
  fs.symlinkSync('../../../../../../..' + path.join(secretDir, 'secret.txt'), ws.path('rel-leak.txt'));
  // A 1 GB sparse file: no disk, but a tool reading it produces 1 GB of output.
  execFileSync('truncate', ['-s', '1G', ws.path('big.bin')]);
  fs.lchownSync(ws.path('big.bin'), OWNER.uid, OWNER.gid);
  web = await startTestWeb();
  policyFile = writeLoopbackPolicy(ws.dir, web.port);
  hub = await startHub({ lease: '30s' });
  worker = await startWorker({ addr: hub.addr, name: workerName, policyFile });
  client = createHubClient(hub.addr, { rpcTimeoutMs: 60_000 });
});

afterAll(async () => {
  client?.close();
  // A drained stop removes the worker's waiting pool containers (a SIGKILL would leave them to the next reaper).
  if (worker !== undefined) await stopGracefully(worker);
  await killAllChildren();
  await web?.close();
  ws?.cleanup();
  removeTempDirs();
  expect(workerContainers(workerName)).toEqual([]);
  await expectNoRunContainers();
});

// ---------------------------------------------------------------------------------------------
// worker run --json

async function cliRun(
  tool: string,
  params: Record<string, string>,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number | null; report: Report }> {
  const args = ['run', tool, '--json', ...extra];
  for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
  const r = await runCli('worker', args, {
    env: cleanEnv({ WORKER_TOOL_IMAGE: TOOL_IMAGES, WORKER_NAME: workerName, ...env }),
  });
  seen.push(r.stdout, r.stderr);
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== 1 || lines[0] === '')
    throw new Error(
      `worker run ${tool} printed ${lines.length} lines:\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`,
    );
  return { code: r.code, report: JSON.parse(lines[0] as string) as Report };
}

/** A refused or failed run: a typed error, no container output that could carry anything out. */
function expectTypedRefusal(report: Report, codes?: string[]): void {
  expect(report.status).not.toBe('completed');
  expect(report.error?.code).toMatch(/^[A-Z_]+$/);
  expect(report.error?.message.length).toBeGreaterThan(0);
  if (codes) expect(codes).toContain(report.error?.code);
}

async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

describe('worker run --json (real CLI)', () => {
  it('refuses path traversal in the path of every file tool', async () => {
    const cases = FILE_TOOLS.flatMap((tool) => TRAVERSALS.map((p) => [tool, p] as const));
    await pool(cases, 3, async ([tool, p]) => {
      const params = Object.fromEntries(Object.entries(fileParams(tool, p)).map(([k, v]) => [k, String(v)]));
      const { code, report } = await cliRun(tool, params, ['--mount', ws.dir, '--policy', policyFile]);
      expect([tool, p, report.status]).toEqual([tool, p, 'error']);
      expectTypedRefusal(report, ['INVALID_PARAMS', 'POLICY_DENIED']);
      expect(report.error?.message).toMatch(/path/);
      expect(code).not.toBe(0);
    });
    expect(ws.read('sentinel.txt')).toBe('still here\n');
  });

  it('never follows a planted symlink to the host secret', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['file_read', { path: 'leak.txt' }],
      ['file_read', { path: 'rel-leak.txt' }],
      ['file_read', { path: 'leakdir/secret.txt' }],
      ['grep', { pattern: 's3cr3t', path: '.' }],
      ['grep', { pattern: 's3cr3t', path: 'leakdir' }],
      ['list', { path: 'leakdir' }],
      ['find', { path: 'leakdir' }],
      ['file_edit', { path: 'leak.txt', old_string: 's3cr3t', new_string: 'x' }],
      ['file_write', { path: 'leak.txt', content: 'overwritten' }],
    ];
    await pool(cases, 3, async ([tool, params]) => {
      const { report } = await cliRun(tool, params, ['--mount', ws.dir, '--policy', policyFile]);
      expect(JSON.stringify(report)).not.toContain(SECRET);
      // grep over '.' also meets the 1 GB sparse file (one 1 GB line): oom or timeout is a bounded outcome.
      expect(report.status).toMatch(/^(completed|failed|error|denied|oom|timeout)$/);
    });
    // The host file is untouched by the write/edit attempts through the link.
    expect(fs.readFileSync(path.join(secretDir, 'secret.txt'), 'utf8')).toBe(`${SECRET}\n`);
  });

  it('refuses a workspace mount that is a symlink to a directory outside the allowlist', async () => {
    const { report } = await cliRun('file_read', { path: 'secret.txt' }, [
      '--mount',
      ws.path('leakdir'),
      '--policy',
      policyFile,
    ]);
    expectTypedRefusal(report);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('treats shell and option injection strings as data', async () => {
    const cases: Array<[string, Record<string, string>]> = INJECTIONS.flatMap((s) => [
      ['file_read', { path: s }] as [string, Record<string, string>],
      ['grep', { pattern: s, path: '.' }] as [string, Record<string, string>],
      ['list', { path: s }] as [string, Record<string, string>],
      ['find', { path: '.', name: s }] as [string, Record<string, string>],
    ]);
    cases.push(
      ['fetch_url', { url: '--help' }],
      ['fetch_url', { url: '$(id)' }],
      ['web_search', { query: '$(id); `id` --help' }],
    );
    await pool(cases, 3, async ([tool, params]) => {
      const { report } = await cliRun(tool, params, ['--mount', ws.dir, '--policy', policyFile]);
      const text = JSON.stringify(report);
      expect(text).not.toMatch(/uid=\d+/);
      expect(text).not.toMatch(/BusyBox v\d|Usage: (cat|ls|grep|find|curl)/);
      expect(report.status).toMatch(/^(completed|failed|error|denied|oom|timeout)$/);
      if (report.status !== 'completed') expect(report.error?.code).toMatch(/^[A-Z_]+$/);
    });
    const w = await cliRun('file_write', { path: 'inj.txt', content: '$(id) `id`; rm -rf / --help -rf' }, [
      '--mount',
      ws.dir,
      '--policy',
      policyFile,
    ]);
    expect(w.report.status).toBe('completed');
    expect(ws.read('inj.txt')).toBe('$(id) `id`; rm -rf / --help -rf');
    expect(ws.read('sentinel.txt')).toBe('still here\n');
  });

  it('bounds large parameters, lone surrogates and unknown tools', async () => {
    // A single argv string caps at 128 KiB (MAX_ARG_STRLEN), so the CLI gets the largest one allowed.
    const big = await cliRun('grep', { pattern: 'x'.repeat(120_000), path: '.' }, [
      '--mount',
      ws.dir,
      '--policy',
      policyFile,
    ]);
    expect(big.report.status).toMatch(/^(completed|failed|error|oom|timeout)$/);
    const surrogate = await cliRun('file_read', { path: 'a\ud800b' }, ['--mount', ws.dir, '--policy', policyFile]);
    expectTypedRefusal(surrogate.report);
    const unknown = await cliRun('no_such_tool', {}, []);
    expect(unknown.code).toBe(2);
    expectTypedRefusal(unknown.report, ['UNKNOWN_TOOL']);
  });

  it('refuses fetch_url to loopback, private, link-local and ::1 under the default policy', async () => {
    for (const url of [
      web.url('/page'),
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:80/',
    ]) {
      const { report } = await cliRun('fetch_url', { url });
      // The egress proxy refused the connection: the result says so, with the rule.
      expect([url, report.status]).toEqual([url, 'denied']);
      expect(report.error?.code).toBe('EGRESS_DENIED');
      expect(report.error?.message).toMatch(/refused by /);
      expect(report.stdout).not.toContain('hello from the loopback test server');
    }
    // The loopback server was never reached under the default policy.
    expect(web.requests.filter((r) => r.startsWith('/page'))).toEqual([]);
  });

  it('refuses a redirect from an allowed loopback server to 169.254.169.254', async () => {
    const { report } = await cliRun(
      'fetch_url',
      { url: web.url('/redirect?to=http://169.254.169.254/latest/meta-data/') },
      ['--policy', policyFile],
    );
    expect(report.status).toBe('denied');
    expect(report.error?.code).toBe('EGRESS_DENIED');
    expect(report.error?.message).toContain('169.254.169.254');
    expect(web.requests.some((r) => r.startsWith('/redirect'))).toBe(true);
  });

  it('caps a 1 GB output (file_read of a sparse file)', async () => {
    const { report } = await cliRun('file_read', { path: 'big.bin' }, ['--mount', ws.dir, '--policy', policyFile]);
    expect(report.truncated).toBe(true);
    expect(report.stdout.length).toBeLessThan(64 * 1024 * 1024);
  });
});

// ---------------------------------------------------------------------------------------------
// through the hub

type HubOutcome = { rejected: string } | { finished: TaskFinished };

let seq = 0;
async function viaHub(tool: string, params: Record<string, unknown>, mount = true): Promise<HubOutcome> {
  const taskId = `hostile-${process.pid}-${seq++}`;
  try {
    await client.submit({ taskId, tool, params, ...(mount ? { mountSource: ws.dir } : {}) });
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    seen.push((err as Error).message);
    return { rejected: (err as HubError).code };
  }
  const finished = await waitResult(hub.addr, taskId, 120_000);
  seen.push(
    finished.stdout.toString('latin1'),
    finished.stderr.toString('latin1'),
    JSON.stringify(finished.error ?? null),
  );
  return { finished };
}

function expectRefused(o: HubOutcome, label: string): void {
  if ('rejected' in o) {
    expect([label, o.rejected]).toEqual([label, expect.stringMatching(/^(INVALID_ARGUMENT|UNKNOWN_TOOL)$/)]);
  } else {
    expect([label, o.finished.state]).not.toEqual([label, TaskState.TASK_STATE_COMPLETED]);
    expect(o.finished.error?.message.length).toBeGreaterThan(0);
  }
}

describe('through the hub (client.submit to a real worker)', () => {
  it('refuses path traversal, NUL bytes, newlines and lone surrogates in every file tool', async () => {
    const paths = [...TRAVERSALS, 'a\0b', '\0', 'ok\0/../../etc/passwd', 'a\udfffb/../../..', 'x\n/../../etc'];
    for (const tool of FILE_TOOLS) {
      for (const p of paths) expectRefused(await viaHub(tool, fileParams(tool, p)), `${tool} ${JSON.stringify(p)}`);
    }
  });

  it('bounds lone surrogates: they travel as U+FFFD and stay inside the workspace', async () => {
    for (const tool of FILE_TOOLS) {
      const o = await viaHub(tool, fileParams(tool, '\ud800'));
      if ('finished' in o) expect(o.finished.state).not.toBe(TaskState.TASK_STATE_UNSPECIFIED);
    }
    // Whatever file_write created is inside the workspace, under the replacement character's name.
    expect(fs.readdirSync(ws.dir).filter((n) => /[\ud800-\udfff]/.test(n))).toEqual([]);
    expect(fs.readdirSync(path.dirname(ws.dir)).filter((n) => n.includes('\ufffd'))).toEqual([]);
  });

  it('does not leak the planted symlink target', async () => {
    for (const [tool, params] of [
      ['file_read', { path: 'leak.txt' }],
      ['file_read', { path: 'leakdir/secret.txt' }],
      ['grep', { pattern: 's3cr3t', path: '.' }],
    ] as const) {
      const o = await viaHub(tool, params);
      if ('finished' in o) expect(o.finished.stdout.toString()).not.toContain(SECRET);
    }
  });

  it('bounds 10 MB parameters: within the 16 MiB file_write cap it is written, elsewhere refused', async () => {
    const ten = 10 * 1024 * 1024;
    const ok = await viaHub('file_write', { path: 'huge.txt', content: 'y'.repeat(ten) });
    expect('finished' in ok && ok.finished.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(fs.statSync(ws.path('huge.txt')).size).toBe(ten);
    fs.rmSync(ws.path('huge.txt'));
    expectRefused(await viaHub('file_write', { path: 'huger.txt', content: 'y'.repeat(2 * ten) }), '20 MB content');
    expect(fs.existsSync(ws.path('huger.txt'))).toBe(false);
    expectRefused(await viaHub('grep', { pattern: 'z'.repeat(ten), path: '.' }), '10 MB pattern');
    expectRefused(await viaHub('file_read', { path: 'p'.repeat(ten) }), '10 MB path');
    expectRefused(
      await viaHub('fetch_url', { url: `http://127.0.0.1:${web.port}/${'u'.repeat(ten)}` }, false),
      '10 MB url',
    );
  });

  it('treats injection strings as data and refuses unknown tools', async () => {
    for (const s of INJECTIONS) {
      const o = await viaHub('grep', { pattern: s, path: '.' });
      if ('finished' in o) expect(o.finished.stdout.toString()).not.toMatch(/uid=\d+/);
    }
    expectRefused(await viaHub('no_such_tool', {}), 'unknown tool');
    expectRefused(await viaHub('../../bin/sh', {}), 'path-like tool');
  });

  it('refuses egress to 10.0.0.1, 169.254.169.254, [::1] and a redirect to metadata, even with loopback allowed', async () => {
    for (const url of [
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${web.port}/page`,
      web.url('/redirect?to=http://169.254.169.254/'),
    ]) {
      const o = await viaHub('fetch_url', { url }, false);
      expectRefused(o, url);
    }
  });

  it('caps a 1 GB output and keeps the worker RSS bounded', async () => {
    const hwm = (): number =>
      Number(/^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1]) * 1024;
    const rss = (): number =>
      Number(/^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1]) * 1024;
    const before = rss();
    const o = await viaHub('file_read', { path: 'big.bin' });
    expect('finished' in o).toBe(true);
    if ('finished' in o) {
      expect(o.finished.truncated).toBe(true);
      expect(o.finished.stdout.length).toBeLessThan(64 * 1024 * 1024);
    }
    console.log(
      `1 GB file_read through the worker: RSS ${(before / 2 ** 20).toFixed(1)} MiB before, peak ${(hwm() / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(hwm()).toBeLessThan(before + 200 * 1024 * 1024);
  });

  it('survives malformed and oversized gRPC input and answers the next valid call', async () => {
    const socket = hub.addr.replace(/^unix:\/\//, '');
    await sendRaw(socket, randomBytes(4096));
    await sendRaw(socket, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + '\xff'.repeat(64), 'latin1'));
    await sendRaw(socket, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const junk = await rawGrpcCall(socket, '/agent.v1.TaskService/SubmitTask', randomBytes(1024));
    expect(junk.grpcStatus ?? junk.error).toBeDefined();
    expect(junk.grpcStatus).not.toBe(0);
    const lying = await rawGrpcCall(socket, '/agent.v1.TaskService/SubmitTask', randomBytes(16), {
      declaredLength: 0xffffffff,
      limitMs: 15_000,
    });
    expect(lying.grpcStatus).not.toBe(0);
    const unknownMethod = await rawGrpcCall(socket, '/agent.v1.Nope/Nothing', Buffer.alloc(0));
    expect(unknownMethod.grpcStatus).toBe(12); // UNIMPLEMENTED
    // 200 MB, twice the hub's limit: RESOURCE_EXHAUSTED or a reset, never a dead hub.
    const huge = await rawGrpcCall(socket, '/agent.v1.TaskService/SubmitTask', Buffer.alloc(200 * 1024 * 1024, 0x41), {
      limitMs: 120_000,
    });
    expect(huge.grpcStatus === 8 || huge.error !== undefined).toBe(true);
    expect(hub.proc.running()).toBe(true);
    expect(Array.isArray(await client.workers())).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// misbehaving tools (a test-only catalog entry, in-process executor)

describe('misbehaving tools (in-process executor, test-only hostile tool)', () => {
  const id = testWorkerId('fault-hostile');
  it('a fork bomb is bounded, a memory hog is oom, an infinite loop times out', async () => {
    const ex = await openTestExecutor(id, { maxConcurrentTasks: 3, gracePeriodMs: 1_000 });
    try {
      const [bomb, hog, loop] = await Promise.all([
        ex.executeTask({ tool: 'hostile', params: { case: 'forkbomb' }, timeoutMs: 5_000 }),
        ex.executeTask({ tool: 'hostile', params: { case: 'memhog' }, timeoutMs: 60_000 }),
        ex.executeTask({ tool: 'hostile', params: { case: 'loop' }, timeoutMs: 2_000 }),
      ]);
      expect(['failed', 'timeout']).toContain(bomb.status);
      expect(hog).toMatchObject({ status: 'oom', error: { code: 'OOM' } });
      expect(loop).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' } });
      expect(loop.durationMs).toBeLessThan(2_000 + 5_000);
      const flood = await ex.executeTask({ tool: 'hostile', params: { case: 'flood' } });
      expect(flood.truncated).toBe(true);
      await ex.idle();
      // Nothing of the calls is left; only the warm pool's container for the next call waits.
      const waiting = waitingPoolContainers(id);
      expect(executorContainers(id).filter((c) => !waiting.includes(c))).toEqual([]);
    } finally {
      await ex.close();
    }
    expect(executorContainers(id)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('after the corpus', () => {
  it('the worker and hub are still up and a normal task completes; the secret never appeared', async () => {
    expect(worker.running()).toBe(true);
    expect(hub.proc.running()).toBe(true);
    const o = await viaHub('file_read', { path: 'notes.txt' });
    expect('finished' in o && o.finished.state).toBe(TaskState.TASK_STATE_COMPLETED);
    if ('finished' in o) expect(o.finished.stdout.toString()).toBe('alpha\nbeta\n');
    seen.push(worker.stdout(), worker.stderr(), hub.proc.stdout(), hub.proc.stderr());
    expect(seen.filter((s) => s.includes(SECRET))).toEqual([]);
    expect(ws.read('sentinel.txt')).toBe('still here\n');
  });
});
