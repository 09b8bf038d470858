import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { GrepResult } from '@baaaht/tool-specs';
import type { Executor } from './executor';
import type { TaskResult } from './task-types';
import { openTestExecutor, testRuntime, testWorkerId, workerContainers } from './test-support/integration';

/** Under gVisor the sandbox refuses even to stat a host FIFO: it is counted whatever the filters say. */
const gvisor = testRuntime() === 'runsc';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const workerId = testWorkerId('grep');
let ex: Executor;
let ws: TempWorkspace;
let server: net.Server;
/** Every special file planted in the tree (each must be counted once by a workspace-wide grep). */
const specials: string[] = [];

/** Plants `rel` with `make`, owned like the rest of the workspace, and remembers it as special. */
function plant(rel: string, make: (abs: string) => void): void {
  make(ws.path(rel));
  fs.lchownSync(ws.path(rel), OWNER.uid, OWNER.gid);
  specials.push(rel);
}

beforeAll(async () => {
  ex = await openTestExecutor(workerId);
  ws = createTempWorkspace({
    files: {
      'src/a.ts': 'const a = 1; // NEEDLE in ts\n',
      'src/b.md': 'NEEDLE in markdown\n',
      'src/big.log': 'NEEDLE in a log\n',
      'forge/a\nb.txt': 'NEEDLE behind a newline\n',
      'forge/x:5:y': 'NEEDLE behind colons\n',
      'forge/evil\nfake.ts:9:NEEDLE forged': 'NEEDLE real line\n',
      'forge/tab\tand\u0007bell': 'NEEDLE control chars\n',
      'bin/data.bin': Buffer.concat([Buffer.from('NEEDLE in binary\0'), Buffer.alloc(64), Buffer.from('\nNEEDLE 2\n')]),
      // Text by the 8 KiB rule; a later line holds NULs shaped like the framing, trying to add a match.
      'bin/late-nul.txt': Buffer.concat([
        Buffer.from('NEEDLE text\n'),
        Buffer.alloc(9000, 0x61),
        Buffer.from('\nNEEDLE \0G1\0/workspace/src/a.ts\0L\0/workspace/src/a.ts:1:forged\n'),
      ]),
      '.git/config': 'NEEDLE in git\n',
      'vendor/lib/v.ts': 'NEEDLE vendored\n',
      'locked.md': 'NEEDLE locked\n',
    },
    owner: OWNER,
  });
  // The owner cannot read it: a grep that opened it would say "Permission denied".
  fs.chmodSync(ws.path('locked.md'), 0o000);
  fs.mkdirSync(ws.path('dev'));
  fs.lchownSync(ws.path('dev'), OWNER.uid, OWNER.gid);
  plant('dev/fifo', (p) => execFileSync('mkfifo', [p]));
  plant('dev/zero', (p) => fs.symlinkSync('/dev/zero', p));
  plant('dev/urandom', (p) => fs.symlinkSync('/dev/urandom', p));
  plant('dev/link-to-a.ts', (p) => fs.symlinkSync('../src/a.ts', p));
  plant('dev/linkdir', (p) => fs.symlinkSync('../src', p));
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(ws.path('dev/sock'), resolve));
  fs.lchownSync(ws.path('dev/sock'), OWNER.uid, OWNER.gid);
  specials.push('dev/sock');
  // A real character device (the zero device) where mknod is allowed; a /dev/null link otherwise.
  plant('dev/chardev', (p) => {
    try {
      execFileSync('mknod', [p, 'c', '1', '5'], { stdio: 'ignore' });
    } catch {
      fs.symlinkSync('/dev/null', p);
    }
  });
});

afterAll(async () => {
  await ex.close();
  await new Promise((resolve) => server.close(resolve));
  ws.cleanup();
  expect(workerContainers(workerId)).toEqual([]);
});

async function grep(params: Record<string, unknown>): Promise<TaskResult & { structured: GrepResult }> {
  const r = await ex.executeTask({ tool: 'grep', params, mountSource: ws.dir });
  return r as TaskResult & { structured: GrepResult };
}

const paths = (r: { structured: GrepResult }): string[] => [...new Set(r.structured.matches.map((m) => m.path))].sort();

describe('grep on the real engine', () => {
  it('a FIFO, a socket, a device and symlinks to /dev/zero and /dev/urandom are skipped and counted, not read', async () => {
    const r = await grep({ pattern: 'NEEDLE', path: 'dev' });
    expect(r.status).toBe('completed');
    expect(r.structured).toEqual({ matches: [], truncated: false, skipped: { special: specials.length, binary: 0 } });
    expect(r.stderr).toBe(`note: skipped ${specials.length} special files (FIFOs, sockets, devices, symlinks)\n`);
    // The whole workspace, special files included, also completes, with every real match.
    const all = await grep({ pattern: 'NEEDLE' });
    expect(all.status).toBe('completed');
    expect(all.structured.skipped).toEqual({ special: specials.length, binary: 1 });
    expect(paths(all)).toEqual(
      [
        'bin/late-nul.txt',
        'forge/a\nb.txt',
        'forge/evil\nfake.ts:9:NEEDLE forged',
        'forge/tab\tand\u0007bell',
        'forge/x:5:y',
        'src/a.ts',
        'src/b.md',
        'src/big.log',
        'vendor/lib/v.ts',
      ].sort(),
    );
    expect(all.stderr).toContain('locked.md: Permission denied');
    const none = await grep({ pattern: 'NO_SUCH_TEXT_ANYWHERE' });
    expect(none).toMatchObject({ status: 'completed', stdout: '' });
  });

  it('names with newlines, colons and control characters appear once, exactly, and cannot forge a match', async () => {
    const r = await grep({ pattern: 'NEEDLE', path: 'forge' });
    expect(r.status).toBe('completed');
    expect([...r.structured.matches].sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [
        { path: 'forge/a\nb.txt', line: 1, text: 'NEEDLE behind a newline' },
        { path: 'forge/evil\nfake.ts:9:NEEDLE forged', line: 1, text: 'NEEDLE real line' },
        { path: 'forge/tab\tand\u0007bell', line: 1, text: 'NEEDLE control chars' },
        { path: 'forge/x:5:y', line: 1, text: 'NEEDLE behind colons' },
      ].sort((a, b) => a.path.localeCompare(b.path)),
    );
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [
        '"forge/a\\nb.txt":1:NEEDLE behind a newline',
        '"forge/evil\\nfake.ts:9:NEEDLE forged":1:NEEDLE real line',
        '"forge/tab\\tand\\x07bell":1:NEEDLE control chars',
        'forge/x:5:y:1:NEEDLE behind colons',
      ].sort(),
    );
  });

  it('skips a binary file by default and searches it with include_binary', async () => {
    const skipped = await grep({ pattern: 'NEEDLE', path: 'bin' });
    expect(skipped.status).toBe('completed');
    // A NUL after the first 8 KiB does not make a file binary.
    expect(skipped.structured).toEqual({
      matches: [
        { path: 'bin/late-nul.txt', line: 1, text: 'NEEDLE text' },
        { path: 'bin/late-nul.txt', line: 3, text: 'NEEDLE ?G1?/workspace/src/a.ts?L?/workspace/src/a.ts:1:forged' },
      ],
      truncated: false,
      skipped: { special: 0, binary: 1 },
    });
    expect(skipped.stderr).toBe('note: skipped 1 binary file (use include_binary to search them)\n');
    const included = await grep({ pattern: 'NEEDLE', path: 'bin/data.bin', include_binary: true });
    expect(included.structured.matches).toEqual([
      { path: 'bin/data.bin', line: 1, text: `NEEDLE in binary?${'?'.repeat(64)}` },
      { path: 'bin/data.bin', line: 2, text: 'NEEDLE 2' },
    ]);
  });

  it('exclude prunes .git by default, and custom base-name and path globs', async () => {
    const everything = await grep({ pattern: 'NEEDLE', exclude: [] });
    expect(paths(everything)).toContain('.git/config');
    const byDefault = await grep({ pattern: 'NEEDLE' });
    expect(paths(byDefault)).not.toContain('.git/config');
    const custom = await grep({
      pattern: 'NEEDLE',
      exclude: ['.git', 'vendor', 'forge/*', '*.log', 'dev', 'locked.md'],
    });
    expect(custom.status).toBe('completed');
    // Pruned before the walk reached them: no special file or unreadable file was even looked at.
    expect(custom.stderr).toBe('note: skipped 1 binary file (use include_binary to search them)\n');
    expect(paths(custom)).toEqual(['bin/late-nul.txt', 'src/a.ts', 'src/b.md']);
  });

  it('include: "*.ts" searches only .ts files; other files are never opened', async () => {
    const r = await grep({ pattern: 'NEEDLE', include: '*.ts' });
    expect(r.status).toBe('completed');
    expect(paths(r)).toEqual(['src/a.ts', 'vendor/lib/v.ts']);
    // locked.md would have said "Permission denied". Of the special files only the symlink named *.ts counts
    // (under gVisor also the FIFO, which find cannot look at to filter: it is counted, never opened).
    const special = gvisor ? 2 : 1;
    expect(r.stderr).toBe(
      `note: skipped ${special} special file${gvisor ? 's' : ''} (FIFOs, sockets, devices, symlinks)\n`,
    );
    expect(r.structured.skipped).toEqual({ special, binary: 0 });
  });

  it('caps the total at max_results and says it truncated', async () => {
    const r = await grep({ pattern: 'NEEDLE', max_results: 3 });
    expect(r.status).toBe('completed');
    expect(r.structured.matches).toHaveLength(3);
    expect(r.structured.truncated).toBe(true);
    expect(r.truncated).toBe(true);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('a missing path is NOT_FOUND; a symlink as path is skipped, never followed', async () => {
    const missing = await grep({ pattern: 'NEEDLE', path: 'no/such/dir' });
    expect(missing).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
    expect(missing.error?.message).toBe('no/such/dir does not exist in the workspace');
    const link = await grep({ pattern: 'NEEDLE', path: 'dev/linkdir' });
    expect(link.status).toBe('completed');
    expect(link.structured).toEqual({ matches: [], truncated: false, skipped: { special: 1, binary: 0 } });
  });
});
