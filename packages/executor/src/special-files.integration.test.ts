// Issue 12 on the real engine: find and list never open (or hang on) FIFOs, sockets or devices and
// print output a file name cannot forge; file tools refuse non-regular files at once, on the host and
// in the container; file-system failures carry typed codes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { FindResult, ListResult } from '@baaaht/tool-specs';
import type { Executor } from './executor';
import type { TaskResult } from './task-types';
import { openTestExecutor, testRuntime, testWorkerId, workerContainers } from './test-support/integration';

/**
 * Under gVisor (CI's runsc pass) the sandbox refuses even to stat a host FIFO (EPERM): list leaves FIFOs
 * out with a note instead of typing them, and a FIFO swapped in is refused as PERMISSION_DENIED. Never a
 * read or a hang, under either runtime.
 */
const gvisor = testRuntime() === 'runsc';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const workerId = testWorkerId('special');
let ex: Executor;
let ws: TempWorkspace;
let server: net.Server;

/** Names a model could be handed to fake extra entries in line-oriented output. */
const FORGED = {
  newline: 'a\nb.txt',
  injected: 'evil\ninjected.ts',
  record: 'x\n81a4 99 0 forged',
  grepLike: 'x:5:y',
  lsLike: '-rw-r--r--  1 root root 0 Jan  1 00:00 fake',
  control: 'ctl\u0001\u001b[31mred',
};

beforeAll(async () => {
  ex = await openTestExecutor(workerId);
  ws = createTempWorkspace({
    files: {
      'a.txt': 'line1\n',
      'src/main.ts': 'export {};\n',
      ...Object.fromEntries(Object.values(FORGED).map((n) => [n, 'forged\n'])),
    },
  });
  execFileSync('mkfifo', [ws.path('pipe'), ws.path('src/deep-pipe')]);
  execFileSync('mknod', [ws.path('null'), 'c', '1', '3']);
  fs.symlinkSync('/dev/zero', ws.path('zero'));
  fs.symlinkSync('pipe', ws.path('to-pipe'));
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(ws.path('sock'), resolve));
  own(ws.dir);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ex.close();
  ws.cleanup();
  expect(workerContainers(workerId)).toEqual([]);
});

function own(p: string): void {
  fs.lchownSync(p, OWNER.uid, OWNER.gid);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) own(path.join(p, e));
}

const run = (
  tool: string,
  params: Record<string, unknown>,
  extra: Partial<Parameters<Executor['executeTask']>[0]> = {},
) => ex.executeTask({ tool, params, mountSource: ws.dir, ...extra });

const sorted = (xs: string[]): string[] => [...xs].sort();

describe('find', () => {
  it('returns promptly with exactly the files, directories and symlinks; specials are counted as skipped', async () => {
    const r = await run('find', {});
    expect(r.status).toBe('completed');
    const found = r.structured as FindResult;
    expect(sorted(found.paths)).toEqual(
      sorted(['.', 'a.txt', 'src', 'src/main.ts', 'zero', 'to-pipe', ...Object.values(FORGED)]),
    );
    expect(found.skipped).toEqual({ special: 4 }); // pipe, src/deep-pipe, null, sock
    expect(found.truncated).toBe(false);
    expect(r.stderr).toContain('note: skipped 4 special files (FIFOs, sockets, devices)');
    // One line per entry: no name added a line or an entry.
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(found.paths.length);
    expect(lines).toContain('"a\\nb.txt"');
    expect(lines).toContain('"evil\\ninjected.ts"');
    expect(lines).not.toContain('injected.ts');
    expect(lines).toContain(FORGED.grepLike);
  });

  it('a type filter lists only that type; a missing path is NOT_FOUND', async () => {
    const files = await run('find', { type: 'symlink' });
    expect(files.status).toBe('completed');
    expect(sorted((files.structured as FindResult).paths)).toEqual(['to-pipe', 'zero']);
    const missing = await run('find', { path: 'nope' });
    expect(missing).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_FOUND', message: 'nope does not exist in the workspace' },
    });
  });
});

describe('list', () => {
  it('shows every entry once with its real name and type, without opening any', async () => {
    const r = await run('list', {});
    expect(r.status).toBe('completed');
    const { entries, truncated } = r.structured as ListResult;
    expect(truncated).toBe(false);
    const types = Object.fromEntries(entries.map((e) => [e.path, e.type]));
    expect(types).toEqual({
      'a.txt': 'file',
      src: 'directory',
      ...(gvisor ? {} : { pipe: 'fifo' }),
      null: 'char-device',
      sock: 'socket',
      zero: 'symlink',
      'to-pipe': 'symlink',
      ...Object.fromEntries(Object.values(FORGED).map((n) => [n, 'file'])),
    });
    if (gvisor) expect(r.stderr).toContain('note: skipped 1 entry the sandbox refused to examine');
    expect(entries.find((e) => e.path === 'zero')).toMatchObject({ name: 'zero', target: '/dev/zero', size: 9 });
    expect(entries.find((e) => e.path === 'a.txt')).toMatchObject({ size: 6, mode: '0644' });
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(entries.length);
    expect(lines.find((l) => l.endsWith(' src/'))).toMatch(/^drwx.{6}  +\d+ \d{4}-\d\d-\d\dT\d\d:\d\dZ src\/$/);
    expect(lines.filter((l) => l.includes('injected'))).toEqual([expect.stringMatching(/ "evil\\ninjected\.ts"$/)]);
    expect(lines.filter((l) => l.includes('forged'))).toEqual([expect.stringMatching(/ "x\\n81a4 99 0 forged"$/)]);
  });

  it('recursive walks subdirectories without following symlinks', async () => {
    const r = await run('list', { recursive: true });
    expect(r.status).toBe('completed');
    const paths = (r.structured as ListResult).entries.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(gvisor ? ['src/main.ts'] : ['src/main.ts', 'src/deep-pipe']));
    expect(paths.filter((p) => p.startsWith('zero/') || p.startsWith('to-pipe/'))).toEqual([]);
  });

  it('a missing path is NOT_FOUND', async () => {
    expect(await run('list', { path: 'nope' })).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
  });
});

const notRegular = (r: TaskResult): void =>
  expect(r).toMatchObject({ status: 'failed', error: { code: 'NOT_A_REGULAR_FILE' } });

describe('file tools and special files', () => {
  it.each(['pipe', 'sock', 'null', 'to-pipe'])(
    'file_read of %s fails at once on the host with NOT_A_REGULAR_FILE naming it',
    async (p) => {
      const r = await run('file_read', { path: p });
      notRegular(r);
      expect(r.error?.message).toMatch(new RegExp(`^${p}`));
      expect(r.containerId).toBeNull();
    },
  );

  it('file_read of a symlink to /dev/zero is refused by the in-container guard', async () => {
    const r = await run('file_read', { path: 'zero' });
    notRegular(r);
    expect(r.error?.message).toContain('zero');
    expect(r.containerId).not.toBeNull();
    expect(r.stdout).toBe('');
  });

  it.each([
    ['file_read', {}],
    ['file_write', { content: 'x' }],
    ['file_edit', { old_string: 'a', new_string: 'b' }],
  ])('%s: a FIFO swapped in after the host check does not hang', async (tool, more) => {
    const file = ws.path(`swap-${tool}.txt`);
    fs.writeFileSync(file, 'a\n');
    own(file);
    const r = await run(
      tool,
      { path: `swap-${tool}.txt`, ...more },
      {
        onEvent: (e) => {
          if (e.type !== 'queued') return;
          fs.rmSync(file);
          execFileSync('mkfifo', [file]);
          own(file);
        },
      },
    );
    if (gvisor) expect(r).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED' } });
    else notRegular(r);
    expect(r.containerId).not.toBeNull();
  });

  it('file_read of a directory swapped in after the host check is refused in the container', async () => {
    const file = ws.path('swap-dir');
    fs.writeFileSync(file, 'a\n');
    const r = await run(
      'file_read',
      { path: 'swap-dir' },
      {
        onEvent: (e) => {
          if (e.type !== 'queued') return;
          fs.rmSync(file);
          fs.mkdirSync(file);
        },
      },
    );
    expect(r).toMatchObject({ status: 'failed', error: { code: 'IS_A_DIRECTORY' } });
    expect(r.containerId).not.toBeNull();
  });
});

describe('typed file errors', () => {
  it('missing files are NOT_FOUND for file_read and file_edit', async () => {
    expect(await run('file_read', { path: 'src/nope.ts' })).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_FOUND', message: 'src/nope.ts does not exist in the workspace' },
    });
    expect(await run('file_edit', { path: 'nope.ts', old_string: 'a', new_string: 'b' })).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_FOUND', message: 'nope.ts does not exist in the workspace' },
    });
  });

  it('a directory where a file is expected is IS_A_DIRECTORY; a file as a directory NOT_A_DIRECTORY', async () => {
    expect(await run('file_read', { path: 'src' })).toMatchObject({
      status: 'failed',
      error: { code: 'IS_A_DIRECTORY', message: 'src is a directory, not a file' },
    });
    expect(await run('file_write', { path: 'src', content: 'x' })).toMatchObject({
      status: 'failed',
      error: { code: 'IS_A_DIRECTORY' },
    });
    expect(await run('file_write', { path: 'a.txt/x/y.txt', content: 'x' })).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_A_DIRECTORY', message: 'a component of a.txt/x is not a directory' },
    });
    expect(await run('file_write', { path: 'a.txt/y.txt', content: 'x', create_dirs: false })).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_A_DIRECTORY', message: 'a component of a.txt is not a directory' },
    });
  });

  it('PERMISSION_DENIED in a root-owned workspace names uid 65534, why, and the fix', async () => {
    const root = createTempWorkspace({ files: { 'secret.txt': 'root only\n', 'closed/x': 'x\n' } });
    try {
      fs.chmodSync(root.path('secret.txt'), 0o600);
      fs.chmodSync(root.path('closed'), 0o700);
      const read = await ex.executeTask({ tool: 'file_read', params: { path: 'secret.txt' }, mountSource: root.dir });
      expect(read).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED' } });
      expect(read.error?.message).toMatch(/^permission denied on secret\.txt: the tool ran as uid 65534/);
      expect(read.error?.message).toContain('the workspace is owned by root');
      expect(read.error?.message).toContain('fix: chown the workspace');
      expect(read.stdout).not.toContain('root only');
      const write = await ex.executeTask({
        tool: 'file_write',
        params: { path: 'new.txt', content: 'x' },
        mountSource: root.dir,
      });
      expect(write).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED' } });
      expect(write.error?.message).toContain('uid 65534');
      const list = await ex.executeTask({ tool: 'list', params: { path: 'closed' }, mountSource: root.dir });
      expect(list).toMatchObject({ status: 'failed', error: { code: 'PERMISSION_DENIED' } });
      expect(list.error?.message).toContain('uid 65534');
    } finally {
      root.cleanup();
    }
  });
});
