import { list, validateToolArgs, validateToolCall } from '../index';
import type { ListParams } from '../index';
import { ctx, validParams, fakeRunner, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): ListParams => validParams<ListParams>('list', params);

const T = 1796125625; // 2026-12-01T11:47:05Z
/** What `find ... -print0 -exec stat -c '%f %s %Y %N' -- {} +` prints: the names, then their records. */
function raw(entries: Array<[name: string, rawMode: number, size: number, target?: string]>): string {
  const names = entries.map(([n]) => `${n}\0`).join('');
  const records = entries
    .map(([n, m, s, t]) => `${m.toString(16)} ${s} ${T} ${t === undefined ? n : `'${n}' -> '${t}'`}\n`)
    .join('');
  return names + records;
}
const DIR = 0o040755;
const FILE = 0o100644;

describe('list', () => {
  it('walks with find (never following symlinks) and lstats each name with a constant stat format', () => {
    const statEach = ['-print0', '-exec', 'stat', '-c', '%f %s %Y %N', '--', '{}', '+'];
    expect(list.command(validated({}), ctx).argv).toEqual(['find', '/workspace', '-maxdepth', '1', ...statEach]);
    expect(list.command(validated({ path: '-R', recursive: true }), ctx).argv).toEqual([
      'find',
      '/workspace/-R',
      ...statEach,
    ]);
  });

  it('lists each entry once with its type, sorted, as workspace-relative paths', async () => {
    const stdout = raw([
      ['/workspace', DIR, 4096],
      ['/workspace/src', DIR, 4096],
      ['/workspace/b.txt', FILE, 12],
      ['/workspace/fifo', 0o010644, 0],
      ['/workspace/sock', 0o140755, 0],
      ['/workspace/zero', 0o120777, 9, '/dev/zero'],
      ['/workspace/null', 0o020666, 0],
      ['/workspace/sda', 0o060660, 0],
      ['/workspace/suid', 0o104755, 1],
    ]);
    const outcome = await list.run!(validated({}), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome.stdout).toBe(
      [
        '-rw-r--r--    12 2026-12-01T11:47Z b.txt',
        'prw-r--r--     0 2026-12-01T11:47Z fifo',
        'crw-rw-rw-     0 2026-12-01T11:47Z null',
        'brw-rw----     0 2026-12-01T11:47Z sda',
        'srwxr-xr-x     0 2026-12-01T11:47Z sock',
        'drwxr-xr-x  4096 2026-12-01T11:47Z src/',
        '-rwsr-xr-x     1 2026-12-01T11:47Z suid',
        'lrwxrwxrwx     9 2026-12-01T11:47Z zero -> /dev/zero',
        '',
      ].join('\n'),
    );
    const entries = (outcome.structured as { entries: unknown[] }).entries;
    expect(entries).toHaveLength(8);
    expect(entries[7]).toEqual({
      path: 'zero',
      name: 'zero',
      type: 'symlink',
      size: 9,
      mode: '0777',
      mtime: '2026-12-01T11:47:05Z',
      target: '/dev/zero',
    });
    expect(entries.map((e) => (e as { type: string }).type)).toEqual([
      'file',
      'fifo',
      'char-device',
      'block-device',
      'socket',
      'directory',
      'file',
      'symlink',
    ]);
  });

  it.each([
    ['a newline', 'a\nb'],
    ['a forged record', 'x\n81a4 99 0 /workspace/forged'],
    ['control characters', 'ctl\u0001\u001b[31m'],
    ['a grep-like name', 'x:5:y'],
    ['an ls-like name', '-rw-r--r--  1 root root 0 Jan  1 00:00 fake'],
    ['a quote and arrow', "it's' -> 'x"],
  ])('a name with %s is one entry with its real name, nothing injected', async (_label, name) => {
    const stdout = raw([
      ['/workspace', DIR, 4096],
      [`/workspace/${name}`, FILE, 1],
      ['/workspace/link', 0o120777, Buffer.byteLength(name), name],
    ]);
    const outcome = await list.run!(validated({}), ctx, fakeRunner(ok(stdout)).exec);
    const entries = (outcome.structured as { entries: Array<{ path: string; target?: string }> }).entries;
    expect(entries.map((e) => e.path).sort()).toEqual([name, 'link'].sort());
    expect(entries.find((e) => e.path === 'link')?.target).toBe(name);
    expect(outcome.stdout.split('\n')).toHaveLength(3);
    expect(outcome.truncated).toBe(false);
  });

  it('lists a path that is not a directory as that one entry', async () => {
    const stdout = raw([['/workspace/src/link', 0o120777, 3, 'a b']]);
    const outcome = await list.run!(validated({ path: 'src/link' }), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome.stdout).toBe('lrwxrwxrwx  3 2026-12-01T11:47Z src/link -> a b\n');
    expect(outcome.structured).toMatchObject({ entries: [{ path: 'src/link', name: 'link', target: 'a b' }] });
  });

  it('recursive paths are workspace-relative; a vanished name is skipped', async () => {
    const stdout =
      '/workspace/d\0/workspace/d/gone\0/workspace/d/x\0' + `41ed 4096 ${T} /workspace/d\n81a4 3 ${T} /workspace/d/x\n`;
    const outcome = await list.run!(validated({ path: 'd', recursive: true }), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome.structured).toMatchObject({ entries: [{ path: 'd/x', name: 'x' }], truncated: false });
  });

  it('caps entries at max_entries and says truncated; a cut listing is truncated too', async () => {
    const stdout = raw([
      ['/workspace', DIR, 4096],
      ['/workspace/a', FILE, 1],
      ['/workspace/b', FILE, 1],
      ['/workspace/c', FILE, 1],
    ]);
    const outcome = await list.run!(validated({ max_entries: 2 }), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome).toMatchObject({ truncated: true, structured: { entries: [{ path: 'a' }, { path: 'b' }] } });
    expect(outcome.stdout.split('\n')).toHaveLength(3);
    const cut = await list.run!(validated({}), ctx, fakeRunner(ok(stdout.slice(0, -5), { truncated: true })).exec);
    expect(cut).toMatchObject({ truncated: true, structured: { entries: [{ path: 'a' }, { path: 'b' }] } });
  });

  it('an entry the sandbox refused to stat (gVisor: a host FIFO) is left out with a note, not a failure', async () => {
    const stdout = raw([
      ['/workspace', DIR, 4096],
      ['/workspace/a', FILE, 1],
    ]);
    const refused = ok(stdout, { exitCode: 1, stderr: 'find: /workspace/pipe: Operation not permitted\n' });
    const outcome = await list.run!(validated({}), ctx, fakeRunner(refused).exec);
    expect(outcome).toMatchObject({ exitCode: 0, structured: { entries: [{ path: 'a' }] } });
    expect(outcome.error).toBeUndefined();
    expect(outcome.stderr).toBe('note: skipped 1 entry the sandbox refused to examine (gVisor hides host FIFOs)\n');
    const own = ok('', { exitCode: 1, stderr: 'find: /workspace/src: Operation not permitted\n' });
    expect((await list.run!(validated({ path: 'src' }), ctx, fakeRunner(own).exec)).error).toMatchObject({
      code: 'PERMISSION_DENIED',
    });
  });

  it('a missing path is NOT_FOUND naming the workspace path', async () => {
    const missing = ok('', { exitCode: 1, stderr: 'find: /workspace/nope: No such file or directory\n' });
    const outcome = await list.run!(validated({ path: 'nope' }), ctx, fakeRunner(missing).exec);
    expect(outcome.error).toEqual({ code: 'NOT_FOUND', message: 'nope does not exist in the workspace' });
  });

  it('refuses escapes and maps legacy args', () => {
    expect(validateToolCall('list', { path: '../' })).toMatchObject({ ok: false, errors: [{ path: '/path' }] });
    expect(validateToolArgs('list', ['-la', '/workspace/src'])).toEqual({
      ok: true,
      tool: 'list',
      params: { path: 'src', recursive: false, max_entries: 500 },
    });
    expect(validateToolArgs('list', ['-R'])).toMatchObject({ ok: true, params: { path: '.', recursive: true } });
    expect(validateToolArgs('list', ['--color=always'])).toMatchObject({
      ok: false,
      errors: [{ code: 'UNSUPPORTED_ARG' }],
    });
  });
});
