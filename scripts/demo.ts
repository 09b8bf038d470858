// `pnpm demo`: the main job in one command. Prepares tool images (offline
// ones built from this host's binaries when the catalog defaults cannot be
// pulled), starts the dev orchestrator and a worker on a Unix socket, runs one
// task of every default tool (not the opt-in exec) against a sample workspace, prints a results table, and
// shuts both down cleanly (the worker drains on SIGTERM).
//
// The web tools need something to reach; since this machine may have no
// internet, the demo serves a page and a SearXNG-style search endpoint on
// 127.0.0.1 and runs the worker with a policy that allows that one port.
//
// `pnpm demo --offline` (or DEMO_OFFLINE=1) skips the registry and goes straight
// to the offline images; otherwise each pull is given DEMO_PULL_TIMEOUT seconds
// (default 20). The demo prints the `bin/worker` command line it runs.
//
// It removes everything it made when it ends, the sample workspace included;
// `pnpm demo --keep` (or DEMO_KEEP=1) keeps the workspace to look at what the tools wrote.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createHubClient } from '@baaaht/hub';
import type { TaskFinished } from '@baaaht/proto';
import { statusFromTaskState } from '@baaaht/proto';
// The CLI's own renderings, so the demo prints durations, exit codes and colour the way the CLIs do.
import { formatDuration } from '../apps/worker/src/durations';
import { exitCodeText } from '../apps/worker/src/task-output';
import { colorEnabled, paint } from '../apps/worker/src/terminal';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..');
const bold = colorEnabled(process.stderr);
const say = (s: string): void => void process.stderr.write(`${paint(bold, 1, 'demo:')} ${s}\n`);

const DEFAULT_IMAGES = { busybox: 'alpine:3.19', curl: 'curlimages/curl:8.6.0' };
const WEB_TOOLS = new Set(['fetch_url', 'web_search']);
const OFFLINE = process.argv.includes('--offline') || ['1', 'true', 'yes'].includes(process.env['DEMO_OFFLINE'] ?? '');
const KEEP = process.argv.includes('--keep') || ['1', 'true', 'yes'].includes(process.env['DEMO_KEEP'] ?? '');
const PULL_TIMEOUT_MS = 1000 * (Number(process.env['DEMO_PULL_TIMEOUT']) || 20);

async function imagePresent(image: string): Promise<boolean> {
  return run('docker', ['image', 'inspect', image]).then(
    () => true,
    () => false,
  );
}

async function pull(image: string): Promise<boolean> {
  return run('docker', ['pull', image], { timeout: PULL_TIMEOUT_MS, killSignal: 'SIGKILL' }).then(
    () => true,
    () => false,
  );
}

/** The catalog defaults when present or pullable (unless --offline), else offline images built from the host. */
async function chooseImages(): Promise<{ offline: boolean }> {
  try {
    await run('docker', ['info']);
  } catch {
    throw new Error(
      'no Docker engine answers. Start one (Debian: apt-get install -y docker.io && dockerd --bridge=none --iptables=false &)',
    );
  }
  let ok = !OFFLINE;
  for (const image of OFFLINE ? [] : Object.values(DEFAULT_IMAGES)) {
    if (await imagePresent(image)) continue;
    say(
      `pulling ${image} (at most ${PULL_TIMEOUT_MS / 1000} s; skip the registry with --offline or DEMO_OFFLINE=1)...`,
    );
    if (!(await pull(image))) {
      ok = false;
      break;
    }
  }
  if (ok) return { offline: false };
  say(
    `${OFFLINE ? 'offline' : 'no registry reachable'}: building offline tool images from this host (pnpm images:offline)`,
  );
  await new Promise<void>((resolve, reject) => {
    const p = spawn('bash', [path.join(REPO, 'scripts', 'build-offline-images.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build-offline-images.sh exited ${code}`))));
  });
  return { offline: true };
}

/** The argument quoted for a POSIX shell when it needs it. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function sampleWorkspace(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-demo-ws-')));
  const files: Record<string, string> = {
    'README.md': '# Sample project\n\nA tiny workspace for the baaaht demo.\n',
    'src/main.ts': 'export function main(): void {\n  // TODO: greet the user\n  console.log("hello");\n}\n',
    'src/util.ts': 'export const answer = 42; // TODO: explain\n',
    'docs/notes.txt': 'Notes\n',
  };
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  // Tools run as the workspace owner (never root). Run as root, the demo hands
  // the sample workspace to uid 1000, so files the tools write belong to it.
  if (process.getuid?.() === 0) chownTree(dir, 1000, 1000);
  return dir;
}

function chownTree(p: string, uid: number, gid: number): void {
  fs.chownSync(p, uid, gid);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}

async function startWeb(): Promise<{ port: number; close: () => void }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/search') {
      const q = url.searchParams.get('q') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          results: [
            { title: `baaaht docs: ${q}`, url: 'https://example.org/baaaht', content: 'How the worker runs tools.' },
            { title: 'Container isolation', url: 'https://example.org/isolation', content: 'CapDrop ALL, no network.' },
          ],
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body><h1>Hello from the demo page</h1></body></html>\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function policyFile(dir: string, workspace: string, port: number): string {
  const file = path.join(dir, 'demo-policy.yaml');
  fs.writeFileSync(
    file,
    [
      '# Demo only: lets tools mount the sample workspace and reach the local demo web server.',
      'id: demo',
      'mode: strict',
      'mounts:',
      '  allow_bind_mounts: true',
      '  mount_allowlist:',
      `    - { path: ${JSON.stringify(workspace)}, mode: readwrite }`,
      'network:',
      '  allow_network: true',
      '  allow_private: true',
      '  allowed_networks: ["127.0.0.0/8"]',
      `  allowed_ports: [${port}]`,
      '',
    ].join('\n'),
  );
  return file;
}

function bin(name: string, args: string[], logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  return spawn(path.join(REPO, 'bin', name), args, { stdio: ['ignore', out, out] });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

function excerpt(f: TaskFinished): string {
  const text =
    Buffer.from(f.stdout).toString('utf8') || Buffer.from(f.stderr).toString('utf8') || f.error?.message || '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? flat.slice(0, 57) + '...' : flat;
}

async function main(): Promise<void> {
  const images = await chooseImages();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-demo-'));
  const ws = sampleWorkspace();
  const web = await startWeb();
  const addr = `unix://${dir}/orchestrator.sock`;
  const logs = path.join(dir, 'logs.txt');
  say(`workspace ${ws}; logs ${logs}`);
  const orchestratorArgs = ['serve', '--listen', addr];
  const orchestrator = bin('orchestrator', orchestratorArgs, logs);
  const workerArgs = [
    '--orchestrator-addr',
    addr,
    '--name',
    'demo-worker',
    '--policy',
    policyFile(dir, ws, web.port),
    '--search-backend-url',
    `http://127.0.0.1:${web.port}`,
    // Offline: the one switch for the offline images (pull policy never). Else the catalog images, now present.
    ...(images.offline ? ['--offline-images'] : ['--pull-policy', 'never']),
    '--log-format',
    'json',
  ];
  say(`orchestrator: bin/orchestrator ${orchestratorArgs.map(shellQuote).join(' ')}`);
  say(`worker: bin/worker ${workerArgs.map(shellQuote).join(' ')}`);
  const worker = bin('worker', workerArgs, logs);
  const client = createHubClient(addr);
  const rows: string[][] = [];
  let failures = 0;
  try {
    say('starting the dev orchestrator and a worker...');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await client.workers().then(
        (w) => w.some((x) => x.connected),
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the worker did not connect within 60 s; see ${logs}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const tasks: Array<[string, Record<string, unknown>]> = [
      ['file_read', { path: 'src/main.ts' }],
      ['file_write', { path: 'out/hello.txt', content: 'written by the demo\n' }],
      ['file_edit', { path: 'src/util.ts', old_string: 'answer = 42', new_string: 'answer = 43' }],
      ['grep', { pattern: 'TODO', path: '.' }],
      ['find', { path: '.', name: '*.ts' }],
      ['list', { path: '.' }],
      ['fetch_url', { url: `http://127.0.0.1:${web.port}/` }],
      ['web_search', { query: 'container isolation', max_results: 2 }],
    ];
    for (const [tool, params] of tasks) {
      const t0 = Date.now();
      const { taskId } = await client.submit({ tool, params, mountSource: WEB_TOOLS.has(tool) ? '' : ws });
      const f = await client.wait(taskId);
      const status = statusFromTaskState(f.state) ?? String(f.state);
      if (status !== 'completed') failures++;
      rows.push([tool, status, exitCodeText(f.exitCode), formatDuration(Date.now() - t0), excerpt(f)]);
    }
  } finally {
    client.close();
    const workerExit = await stop(worker);
    const orchestratorExit = await stop(orchestrator);
    web.close();
    if (!KEEP) fs.rmSync(ws, { recursive: true, force: true });
    say(`worker drained and exited ${workerExit}; orchestrator exited ${orchestratorExit}`);
  }
  const header = ['tool', 'status', 'exit', 'time', 'output'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n');
  say(
    `${rows.length - failures}/${rows.length} tools completed${images.offline ? ' (offline images)' : ''}; ` +
      (KEEP ? `sample workspace kept at ${ws}` : 'sample workspace removed (pnpm demo --keep keeps it)'),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
