/**
 * `worker run --json` through the real binary, the real executor and policy,
 * and real containers (offline images) for every tool in the catalog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { allToolSpecs } from '@baaaht/tool-specs';
import { cleanEnv, leftoverContainers, runCli } from './test-support/cli-process';
import { loopbackPolicyYaml, startFakeWeb } from './test-support/fake-web';
import type { FakeWeb } from './test-support/fake-web';
import type { TaskReport } from './task-output';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const FILE_IMAGES = ['file_read', 'file_write', 'file_edit', 'grep', 'find', 'list', 'exec']
  .map((t) => `${t}=${OFFLINE_BUSYBOX_IMAGE}`)
  .join(',');
const WEB_IMAGES = `fetch_url=${OFFLINE_CURL_IMAGE},web_search=${OFFLINE_CURL_IMAGE}`;
// worker run labels its containers `<name>-run-<pid>`.
const NAME = runScopedName('cli-run');
const REPORT_KEYS = [
  'containerId',
  'durationMs',
  'error',
  'exitCode',
  'status',
  'stderr',
  'stdout',
  'tool',
  'truncated',
];

let ws: TempWorkspace;
let web: FakeWeb;
let policyFile: string;
/** The loopback policy plus exec enabled, with a 1000-byte output cap per stream. */
let execPolicy: string;
const covered = new Set<string>();

type Report = TaskReport;

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; report: Report; stderr: string }> {
  const r = await runCli('worker', ['run', ...args, '--json'], {
    env: cleanEnv({ WORKER_TOOL_IMAGE: `${FILE_IMAGES},${WEB_IMAGES}`, WORKER_NAME: NAME, ...env }),
  });
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const report = JSON.parse(lines[0] as string) as Report;
  if (report.status === 'completed') covered.add(report.tool);
  return { code: r.code, report, stderr: r.stderr };
}

beforeAll(async () => {
  ws = createTempWorkspace({
    files: {
      'notes.txt': 'alpha\nbeta TODO\ngamma\n',
      'src/main.ts': 'export const x = 1; // TODO\n',
      'edit.txt': 'hello old world\n',
    },
    owner: OWNER,
  });
  web = await startFakeWeb();
  policyFile = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
  fs.writeFileSync(policyFile, loopbackPolicyYaml(ws.dir, web.port));
  execPolicy = path.join(path.dirname(policyFile), 'policy-exec.yaml');
  fs.writeFileSync(
    execPolicy,
    `${loopbackPolicyYaml(ws.dir, web.port)}tools:\n  exec:\n    enabled: true\n    limits:\n      max_output_bytes: 1000\n`,
  );
});

afterAll(async () => {
  await web.close();
  ws.cleanup();
  expect(leftoverContainers(NAME)).toEqual([]);
});

describe('worker run --json (real binary, real containers)', () => {
  it('file_read prints exactly the report object and exits 0', async () => {
    const { code, report } = await run(['file_read', '--mount', ws.dir, '--param', 'path=notes.txt']);
    expect(code).toBe(0);
    expect(Object.keys(report).sort()).toEqual(REPORT_KEYS);
    expect(report).toMatchObject({
      tool: 'file_read',
      status: 'completed',
      exitCode: 0,
      stdout: 'alpha\nbeta TODO\ngamma\n',
      truncated: false,
      error: null,
    });
    expect(report.containerId).toMatch(/^[0-9a-f]{12,64}$/);
    expect(report.durationMs).toBeGreaterThan(0);
  });

  it('file_read coerces --param integers from the schema', async () => {
    const { code, report } = await run([
      'file_read',
      '--mount',
      ws.dir,
      '--param',
      'path=notes.txt',
      '--param',
      'offset=2',
      '--param',
      'limit=1',
    ]);
    expect(code).toBe(0);
    expect(report.stdout).toBe('beta TODO\n');
  });

  it('file_write then file_edit change the workspace (tool images from --tool-image)', async () => {
    const write = await run([
      'file_write',
      '--mount',
      ws.dir,
      '--param',
      'path=out/new.txt',
      '--param',
      'content=written by the cli\n',
      '--tool-image',
      `file_write=${OFFLINE_BUSYBOX_IMAGE}`,
    ]);
    expect(write.code).toBe(0);
    expect(ws.read('out/new.txt')).toBe('written by the cli\n');
    const edit = await run([
      'file_edit',
      '--mount',
      ws.dir,
      '--param',
      'path=edit.txt',
      '--param',
      'old_string=old',
      '--param',
      'new_string=new',
    ]);
    expect(edit.code).toBe(0);
    expect(ws.read('edit.txt')).toBe('hello new world\n');
  });

  it('file_edit without --json prints its result, not the file it read on the way', async () => {
    fs.writeFileSync(ws.path('plain.txt'), 'one two\n');
    fs.chownSync(ws.path('plain.txt'), OWNER.uid, OWNER.gid);
    const r = await runCli(
      'worker',
      [
        'run',
        'file_edit',
        '--mount',
        ws.dir,
        '--param',
        'path=plain.txt',
        '--param',
        'old_string=two',
        '--param',
        'new_string=2',
      ],
      { env: cleanEnv({ WORKER_TOOL_IMAGE: FILE_IMAGES, WORKER_NAME: NAME }) },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('one two');
    expect(r.stderr).toMatch(/^file_edit completed in /m);
    expect(ws.read('plain.txt')).toBe('one 2\n');
  });

  it('file_edit that matches nothing reports a failure and exits 1', async () => {
    const { code, report } = await run([
      'file_edit',
      '--mount',
      ws.dir,
      '--param',
      'path=edit.txt',
      '--param',
      'old_string=absent',
      '--param',
      'new_string=x',
    ]);
    expect(code).toBe(1);
    expect(report.status).not.toBe('completed');
    expect(report.error?.code).toBeTruthy();
    // The tool's own code reaches the JSON as the error's detail.
    expect(report.error).toMatchObject({ code: 'TOOL_FAILED', detail: 'EDIT_NO_MATCH' });
  });

  it('a timeout reports the output printed until then (fetch_url on a server that stalls after 5000 bytes)', async () => {
    const { code, report } = await run([
      'fetch_url',
      '--param',
      `url=${web.url('/stall?bytes=5000')}`,
      '--policy',
      policyFile,
      '--timeout',
      '3s',
    ]);
    expect(code).toBe(1);
    expect(report).toMatchObject({ status: 'timeout', truncated: false, error: { code: 'TIMEOUT' } });
    expect(report.stdout).toBe('x'.repeat(5000));
  });

  it('web_search without a search backend is refused up front, naming the flag and the env var', async () => {
    const { code, report, stderr } = await run(['web_search', '--param', 'query=x', '--policy', policyFile]);
    expect(code).toBe(2);
    expect(report).toMatchObject({ status: 'error', containerId: null, error: { code: 'TOOL_UNAVAILABLE' } });
    expect(report.error?.message).toContain('--search-backend-url');
    expect(report.error?.message).toContain('WORKER_SEARCH_BACKEND_URL');
    expect(report.error?.message).not.toContain('ctx.');
    expect(stderr).toContain('--search-backend-url');
  });

  it('grep, find and list', async () => {
    const grep = await run(['grep', '--mount', ws.dir, '--param', 'pattern=TODO', '--param', 'case_insensitive=false']);
    expect(grep.code).toBe(0);
    expect(grep.report.stdout).toContain('notes.txt');
    expect(grep.report.stdout).toContain('src/main.ts');
    const find = await run(['find', '--mount', ws.dir, '--param', 'name=*.ts']);
    expect(find.code).toBe(0);
    expect(find.report.stdout).toContain('main.ts');
    const list = await run(['list', '--mount', ws.dir, '--param', 'recursive=true']);
    expect(list.code).toBe(0);
    expect(list.report.stdout).toContain('notes.txt');
  });

  it('fetch_url reaches a 127.0.0.1 server only when the policy file allows loopback', async () => {
    const allowed = await run(['fetch_url', '--param', `url=${web.url('/page')}`, '--policy', policyFile]);
    expect(allowed.code).toBe(0);
    expect(allowed.report.stdout).toBe('hello from the loopback test server\n');
    const denied = await run(['fetch_url', '--param', `url=${web.url('/page')}`]);
    expect(denied.code).toBe(1);
    expect(denied.report.status).toBe('denied');
    expect(denied.report.error?.code).toBe('EGRESS_DENIED');
  });

  it('--audit-log records the policy decision of a denied mount as a JSON line', async () => {
    const audit = path.join(ws.dir, '..', `audit-${process.pid}.jsonl`);
    try {
      const mounted = await runCli(
        'worker',
        [
          'run',
          'file_read',
          '--mount',
          '/etc',
          '--param',
          'path=hostname',
          '--policy',
          policyFile,
          '--audit-log',
          audit,
          '--json',
        ],
        { env: cleanEnv({ WORKER_TOOL_IMAGE: FILE_IMAGES, WORKER_NAME: NAME }) },
      );
      const report = JSON.parse(mounted.stdout) as Report;
      expect(report).toMatchObject({ status: 'denied', error: { code: 'POLICY_DENIED' }, containerId: null });
      const lines = fs
        .readFileSync(audit, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.at(-1)).toMatchObject({ kind: 'container', tool: 'file_read', outcome: 'denied' });
    } finally {
      fs.rmSync(audit, { force: true });
    }
  });

  it('web_search queries the --search-backend-url (a fake SearXNG on 127.0.0.1)', async () => {
    const { code, report } = await run([
      'web_search',
      '--param',
      'query=baaaht worker',
      '--param',
      'max_results=2',
      '--policy',
      policyFile,
      '--search-backend-url',
      web.url(''),
    ]);
    expect(code).toBe(0);
    expect(report.structured).toEqual({
      results: [
        { title: 'First result for baaaht worker', url: 'https://example.org/1', snippet: 'snippet one' },
        { title: 'Second', url: 'https://example.org/2', snippet: 'snippet two' },
      ],
    });
    expect(web.requests).toContain('/search?q=baaaht%20worker&format=json');
  });

  it('exec without tools.exec.enabled fails up front with the one clear message, exit 2 or 1, no container', async () => {
    // The default policy, and a policy file that does not enable exec; --param and both shortcuts alike.
    const cases: [string[], string[]][] = [
      [[], ['--param', 'command=echo hi']],
      [[], ['--command', 'echo hi']],
      [[], ['--argv', 'echo', '--argv', 'hi']],
      [
        ['--policy', policyFile],
        ['--command', 'echo hi'],
      ],
    ];
    for (const [policy, call] of cases) {
      const r = await run(['exec', '--mount', ws.dir, ...call, ...policy]);
      expect(r.code).not.toBe(0);
      expect(r.report).toMatchObject({
        tool: 'exec',
        status: 'error',
        containerId: null,
        error: { code: 'TOOL_UNAVAILABLE' },
      });
      expect(r.report.error?.message).toMatch(/exec is disabled: .*set tools\.exec\.enabled: true in the policy file/);
    }
  });

  it('exec with the policy enabling it: command, exit code, signal, head+tail truncation', async () => {
    // --command is exactly --param command=.
    const ok = await run(['exec', '--mount', ws.dir, '--command', 'echo hi; id -u', '--policy', execPolicy]);
    expect(ok.code).toBe(0);
    expect(ok.report).toMatchObject({ status: 'completed', exitCode: 0, stdout: `hi\n${OWNER.uid}\n` });
    expect(ok.report.structured).toMatchObject({ exitCode: 0, signal: null });
    const param = await run(['exec', '--mount', ws.dir, '--param', 'command=echo hi; id -u', '--policy', execPolicy]);
    expect(param.report).toMatchObject({ status: 'completed', stdout: ok.report.stdout });

    // --argv words reach the program verbatim, with no shell.
    const words = ['--argv', 'printf', '--argv', '%s|', '--argv', 'a b', '--argv', '$HOME', '--argv=-c'];
    const argv = await run(['exec', '--mount', ws.dir, ...words, '--policy', execPolicy]);
    expect(argv.report).toMatchObject({ status: 'completed', stdout: 'a b|$HOME|-c|' });

    const exited = await run(['exec', '--mount', ws.dir, '--command', 'echo out; exit 3', '--policy', execPolicy]);
    expect(exited.code).toBe(1);
    expect(exited.report).toMatchObject({
      status: 'failed',
      exitCode: 3,
      stdout: 'out\n',
      structured: { exitCode: 3, signal: null },
      error: { code: 'TOOL_FAILED', detail: 'NONZERO_EXIT' },
    });

    const killed = await run(['exec', '--mount', ws.dir, '--command', 'kill -9 $$', '--policy', execPolicy]);
    expect(killed.code).toBe(1);
    expect(killed.report).toMatchObject({ status: 'failed', exitCode: 137, structured: { signal: 'SIGKILL' } });

    // The policy's 1000-byte cap: 500 bytes of head, 500 of tail, the middle counted, per stream.
    const big = await run(['exec', '--mount', ws.dir, '--command', 'seq 1 2000; echo e >&2', '--policy', execPolicy]);
    const printed = Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join('');
    expect(big.report).toMatchObject({
      status: 'completed',
      truncated: true,
      stdoutDroppedBytes: printed.length - 1000,
      stderr: 'e\n',
      structured: {
        stdout: { truncated: true, droppedBytes: printed.length - 1000 },
        stderr: { truncated: false, droppedBytes: 0 },
      },
    });
    expect(big.report.stdout.startsWith(printed.slice(0, 500))).toBe(true);
    expect(big.report.stdout.endsWith(printed.slice(-500))).toBe(true);
    expect(big.report.stdout).toContain(`[... ${printed.length - 1000} bytes dropped ...]`);

    // Without --json: the summary line shows the exit code, the signal and the dropped bytes.
    const human = await runCli(
      'worker',
      ['run', 'exec', '--mount', ws.dir, '--command', 'seq 1 2000; kill -9 $$', '--policy', execPolicy],
      { env: cleanEnv({ WORKER_TOOL_IMAGE: `${FILE_IMAGES},${WEB_IMAGES}`, WORKER_NAME: NAME }) },
    );
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(
      /exec failed in .*\(exit 137 \(SIGKILL\), container [0-9a-f]{12}, stdout truncated \(\d+ bytes dropped\)\)/,
    );
  });

  it('exec on timeout keeps the output printed so far, capped head+tail, in --json and on the terminal', async () => {
    // Printed before the timeout: over the 1000-byte cap, then a last line the tail must keep.
    const command = 'seq 1 2000; echo last line; sleep 60';
    const json = await run([
      'exec',
      '--mount',
      ws.dir,
      '--command',
      command,
      '--timeout',
      '3s',
      '--policy',
      execPolicy,
    ]);
    expect(json.code).toBe(1);
    expect(json.report).toMatchObject({
      status: 'timeout',
      truncated: true,
      error: { code: 'TIMEOUT' },
    });
    expect(json.report.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(json.report.stdout.endsWith('2000\nlast line\n')).toBe(true);
    expect(json.report.stdoutDroppedBytes).toBeGreaterThan(0);

    const human = await runCli(
      'worker',
      [
        'run',
        'exec',
        '--mount',
        ws.dir,
        '--command',
        'echo started; sleep 60',
        '--timeout',
        '3s',
        '--policy',
        execPolicy,
      ],
      { env: cleanEnv({ WORKER_TOOL_IMAGE: `${FILE_IMAGES},${WEB_IMAGES}`, WORKER_NAME: NAME }) },
    );
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('started\n');
    expect(human.stderr).toMatch(/exec timeout in .*: TIMEOUT: /);
  });

  it('every catalog tool ran to completion above', () => {
    expect([...covered].sort()).toEqual(
      allToolSpecs()
        .map((s) => s.name)
        .sort(),
    );
  });

  it.each([
    [['no_such_tool'], 'UNKNOWN_TOOL'],
    [['file_read', '--mount', '/tmp', '--param', 'path'], 'USAGE'],
    [['file_read', '--mount', '/tmp', '--param', 'path=a', '--param', 'limit=many'], 'USAGE'],
    [['file_read', '--mount', '/tmp'], 'INVALID_PARAMS'],
  ])('usage error %j: exit 2, still one JSON object with status error', async (args, code) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.report).toMatchObject({ status: 'error', exitCode: null, containerId: null, error: { code } });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('with Docker down still prints one JSON object (DOCKER_UNAVAILABLE) and exits 1', async () => {
    const r = await run(['file_read', '--mount', ws.dir, '--param', 'path=notes.txt'], {
      DOCKER_HOST: 'unix:///nonexistent.sock',
    });
    expect(r.code).toBe(1);
    expect(r.report).toMatchObject({ status: 'error', error: { code: 'DOCKER_UNAVAILABLE' } });
  });

  it('without --json streams the tool output and ends with a summary line on stderr', async () => {
    const r = await runCli(
      'worker',
      [
        'run',
        'file_read',
        '--mount',
        ws.dir,
        '--param',
        'path=notes.txt',
        '--tool-image',
        `*=${OFFLINE_BUSYBOX_IMAGE}`,
      ],
      { env: cleanEnv({ WORKER_NAME: NAME }) },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('alpha\nbeta TODO\ngamma\n');
    expect(r.stderr).toMatch(/^file_read completed in \S+ \(exit 0, container [0-9a-f]{12}\)\n$/);
  });
});
