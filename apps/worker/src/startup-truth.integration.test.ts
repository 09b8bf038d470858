/**
 * Start-up and `worker doctor` tell the truth about what will work, through the real binaries and engine:
 * a tool whose image is missing under pull policy never, or lacks the tool's program (fetch_url on
 * busybox: no curl), is named and not offered (the hub's tool list); no workspace root is a warning.
 * And offline use is one switch: `--offline-images` (`worker run`, `worker doctor`, `worker images`).
 */
import fs from 'node:fs';
import net from 'node:net';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli, startCli, tempSocketPath } from './test-support/cli-process';
import type { CliProcess } from './test-support/cli-process';

jest.setTimeout(120_000);

const MISSING = `baaaht/startup-missing-${process.pid}:none`;
const SEARCH = ['--search-backend-url', 'http://127.0.0.1:9/search'];
const workerName = runScopedName('truth');
/** Names the build script and the worker would use for a busybox image that was never built. */
const UNBUILT = { BAAAHT_BUSYBOX_IMAGE: `baaaht/tools-busybox:unbuilt-${process.pid}` };

let ws: TempWorkspace;
let orchestrator: CliProcess;
let addr: string;
let listening: net.Server;
let listeningAddr: string;
const homes: string[] = [];

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = cleanEnv(extra);
  homes.push(e['HOME'] as string);
  return e;
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\nbeta\n' }, owner: { uid: 1234, gid: 1234 } });
  addr = `unix://${tempSocketPath('hub')}`;
  orchestrator = startCli('orchestrator', ['serve', '--listen', addr, '--log-format', 'json'], { env: env() });
  await orchestrator.waitFor(/"msg":"orchestrator listening"/);
  const socketPath = tempSocketPath('doctor');
  listening = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => listening.listen(socketPath, resolve));
  listeningAddr = `unix://${socketPath}`;
});

afterAll(async () => {
  if (orchestrator) {
    orchestrator.child.kill('SIGTERM');
    await orchestrator.exited;
  }
  await new Promise<void>((resolve) => listening.close(() => resolve()));
  ws?.cleanup();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  expect(leftoverContainers(workerName)).toEqual([]);
});

describe('worker start-up', () => {
  it('does not offer a tool whose image is missing (pull policy never) or lacks curl, names each, and warns without a workspace root', async () => {
    const worker = startCli(
      'worker',
      [
        '--orchestrator-addr',
        addr,
        '--name',
        workerName,
        '--offline-images',
        '--tool-image',
        `fetch_url=${OFFLINE_BUSYBOX_IMAGE}`,
        '--tool-image',
        `grep=${MISSING}`,
        ...SEARCH,
        '--log-format',
        'json',
      ],
      { env: env() },
    );
    try {
      await worker.waitFor(/"msg":"worker ready"/);
      const r = await runCli('orchestrator', ['workers', '--addr', addr, '--json'], { env: env() });
      expect(r.code).toBe(0);
      const workers = JSON.parse(r.stdout) as Array<{ name: string; tools: string[] }>;
      const tools = workers.find((w) => w.name === workerName)?.tools;
      expect(tools).toEqual(['file_read', 'file_write', 'file_edit', 'find', 'list', 'web_search']);
      const log = worker.stdout();
      expect(log).toMatch(
        new RegExp(`"level":"warn".*"msg":"not offering fetch_url: image ${OFFLINE_BUSYBOX_IMAGE} lacks curl`),
      );
      expect(log).toMatch(
        new RegExp(
          `"level":"warn".*"msg":"not offering grep: image ${MISSING} is not present and the pull policy is never`,
        ),
      );
      expect(log).toMatch(/"level":"warn".*"msg":"no workspace root: the file tools cannot mount anything/);
      expect(log).toMatch(/"images":3,.*"msg":"checked tool images"/);
    } finally {
      worker.child.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    }
    expect(leftoverContainers(workerName)).toEqual([]);
  });
});

describe('worker doctor', () => {
  it('--offline-images passes the image checks and, with a workspace root, every check', async () => {
    const r = await runCli(
      'worker',
      ['doctor', '--offline-images', '--workspace-root', ws.dir, '--orchestrator-addr', listeningAddr, ...SEARCH],
      { env: env() },
    );
    expect(r.stdout).toContain(
      `✓ image ${OFFLINE_BUSYBOX_IMAGE}: present, runs file_read, file_write, file_edit, grep, find, list, exec\n`,
    );
    expect(r.stdout).toContain(`✓ image ${OFFLINE_CURL_IMAGE}: present, runs web_search, fetch_url\n`);
    expect(r.stdout).not.toMatch(/^[!✗]/m);
    expect(r.stdout).toMatch(/all checks passed\n$/);
    expect(r.code).toBe(0);
  });

  it('names fetch_url on the busybox image (no curl) as a failure, with the fix', async () => {
    const r = await runCli(
      'worker',
      ['doctor', '--offline-images', '--tool-image', `fetch_url=${OFFLINE_BUSYBOX_IMAGE}`, '--workspace-root', ws.dir],
      { env: env({ WORKER_ORCHESTRATOR_ADDR: listeningAddr }) },
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `^✗ tool fetch_url: not offered: image ${OFFLINE_BUSYBOX_IMAGE} lacks curl \\(fetch_url needs sh, curl, dd, cat\\)\\n    fix: .*--tool-image fetch_url=IMAGE`,
        'm',
      ),
    );
    expect(r.stdout).toContain(
      `✓ image ${OFFLINE_BUSYBOX_IMAGE}: present, runs file_read, file_write, file_edit, grep, find, list, exec (not fetch_url)`,
    );
    expect(r.code).toBe(1);
  });

  it('warns, not passes, when nothing can be mounted', async () => {
    const r = await runCli('worker', ['doctor', '--offline-images', '--orchestrator-addr', listeningAddr, ...SEARCH], {
      env: env(),
    });
    expect(r.stdout).toMatch(/^! workspace: warning: no workspace root: .*--workspace-root DIR/m);
    expect(r.stdout).toMatch(/no failures, 1 warning\n$/);
    expect(r.stdout).not.toContain('all checks passed');
    expect(r.code).toBe(0);
  });

  it('a missing image: a failure under pull policy never, "will be pulled" under if-missing', async () => {
    const args = ['doctor', '--tool-image', `list=${MISSING}`, '--orchestrator-addr', listeningAddr];
    const never = await runCli('worker', [...args, '--pull-policy', 'never'], { env: env() });
    expect(never.stdout).toMatch(
      new RegExp(`^✗ image ${MISSING}: missing \\(needed by list; not offered: pull policy never\\)`, 'm'),
    );
    expect(never.code).toBe(1);
    const later = await runCli('worker', args, { env: env() });
    expect(later.stdout).toMatch(
      new RegExp(`^! image ${MISSING}: missing; available, will be pulled on first use \\(pull policy if-missing`, 'm'),
    );
  });

  it('with --offline-images, a missing offline image names the command that builds it', async () => {
    const r = await runCli('worker', ['doctor', '--offline-images', '--orchestrator-addr', listeningAddr], {
      env: env(UNBUILT),
    });
    expect(r.stdout).toMatch(
      new RegExp(
        `^✗ image ${UNBUILT.BAAAHT_BUSYBOX_IMAGE}: missing .*\\n    fix: build them with \`pnpm images:offline\` \\(or \`worker images --build\`\\)`,
        'm',
      ),
    );
    expect(r.code).toBe(1);
  });
});

describe('offline in one flag', () => {
  it('worker run file_read --offline-images works with no other image flag', async () => {
    const r = await runCli(
      'worker',
      ['run', 'file_read', '--offline-images', '--mount', ws.dir, '--param', 'path=notes.txt'],
      { env: env() },
    );
    expect(r.stderr).toMatch(/^file_read completed in /);
    expect(r.stdout).toBe('alpha\nbeta\n');
    expect(r.code).toBe(0);
  });

  it('worker run with the offline image missing refuses up front and names pnpm images:offline', async () => {
    const r = await runCli(
      'worker',
      ['run', 'file_read', '--offline-images', '--mount', ws.dir, '--param', 'path=notes.txt'],
      { env: env(UNBUILT) },
    );
    expect(r.stderr).toBe(
      `worker: --offline-images: offline image ${UNBUILT.BAAAHT_BUSYBOX_IMAGE} for file_read is not present: build them with \`pnpm images:offline\` (or \`worker images --build\`)\n`,
    );
    expect(r.code).toBe(2);
  });

  it('worker images reports both images and the one switch that uses them', async () => {
    const ok = await runCli('worker', ['images', '--json'], { env: env() });
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout) as { images: Array<{ image: string; present: boolean }>; flag: string };
    expect(out.images).toEqual([
      expect.objectContaining({ image: OFFLINE_BUSYBOX_IMAGE, present: true }),
      expect.objectContaining({ image: OFFLINE_CURL_IMAGE, present: true }),
    ]);
    expect(out.flag).toBe('--offline-images');
    const missing = await runCli('worker', ['images'], { env: env(UNBUILT) });
    expect(missing.stdout).toContain(`${UNBUILT.BAAAHT_BUSYBOX_IMAGE}  missing  (file_read,`);
    expect(missing.stdout).toContain('missing offline images: build them with `pnpm images:offline`');
    expect(missing.stdout).toContain('bin/worker --offline-images');
    expect(missing.code).toBe(1);
  });
});
