import { find, validateToolArgs, validateToolCall } from '../index';
import type { FindParams } from '../index';
import { ctx, validParams, fakeRunner, HOSTILE, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): FindParams => validParams<FindParams>('find', params);

describe('find', () => {
  // Files, directories and symlinks are printed NUL-terminated; each special file prints an empty record.
  const ANY = ['(', '-type', 'f', '-o', '-type', 'd', '-o', '-type', 'l', ')'];
  const tail = (wanted: string[]): string[] => [
    '(',
    ...wanted,
    '-print0',
    '-o',
    '!',
    ...ANY,
    '-exec',
    'printf',
    '\\0',
    ';',
    ')',
  ];

  it('puts the workspace path first and only fixed primaries after it', () => {
    expect(find.command(validated({}), ctx).argv).toEqual(['find', '/workspace', ...tail(ANY)]);
    expect(find.command(validated({ path: 'src', name: '*.ts', type: 'file', max_depth: 2 }), ctx).argv).toEqual([
      'find',
      '/workspace/src',
      '-maxdepth',
      '2',
      '-name',
      '*.ts',
      ...tail(['-type', 'f']),
    ]);
    expect(find.command(validated({ type: 'symlink' }), ctx).argv).toEqual([
      'find',
      '/workspace',
      ...tail(['-type', 'l']),
    ]);
  });

  it.each([...HOSTILE.filter((h) => !h.includes('/')), '-exec', '-delete'])(
    'keeps the name %j as the operand of -name',
    (name) => {
      const argv = find.command(validated({ name }), ctx).argv;
      expect(argv).toEqual(['find', '/workspace', '-name', name, ...tail(ANY)]);
    },
  );

  it('refuses slashes in names, bad types and escaping paths', () => {
    expect(validateToolCall('find', { name: 'a/b' })).toMatchObject({ ok: false, errors: [{ path: '/name' }] });
    expect(validateToolCall('find', { type: 'socket' })).toMatchObject({ ok: false, errors: [{ path: '/type' }] });
    expect(validateToolCall('find', { path: '/' })).toMatchObject({ ok: false, errors: [{ path: '/path' }] });
    expect(() => find.command({ type: 'x' as FindParams['type'] }, ctx)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMS' }),
    );
  });

  it('caps results and returns workspace-relative paths', async () => {
    const stdout = '/workspace\0/workspace/a\0/workspace/b\0';
    const outcome = await find.run!(validated({ max_results: 2 }), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome).toMatchObject({ stdout: '.\na\n', truncated: true });
    expect(outcome.structured).toEqual({ paths: ['.', 'a'], truncated: true, skipped: { special: 0 } });
    expect(find.parseOutput!(ok(stdout), validated({}))).toEqual({
      paths: ['.', 'a', 'b'],
      truncated: false,
      skipped: { special: 0 },
    });
  });

  it('a forged name is one entry with its real name; skipped specials are counted with one stderr note', async () => {
    const names = ['a\nb', 'x:5:y', 'ctl\u0001\u001b[31mx', '-rw-r--r--  1 root root 0 Jan 1 00:00 fake', 'q"uote\\'];
    const stdout = `/workspace\0\0${names.map((n) => `/workspace/${n}\0`).join('')}\0`;
    const outcome = await find.run!(validated({}), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome.structured).toEqual({ paths: ['.', ...names], truncated: false, skipped: { special: 2 } });
    expect(outcome.stdout).toBe(
      '.\n"a\\nb"\nx:5:y\n"ctl\\x01\\x1b[31mx"\n-rw-r--r--  1 root root 0 Jan 1 00:00 fake\n"q\\"uote\\\\"\n',
    );
    expect(outcome.stdout.split('\n')).toHaveLength(names.length + 2);
    expect(outcome.stderr).toBe('note: skipped 2 special files (FIFOs, sockets, devices)\n');
  });

  it('drops a name cut by the output cap and says truncated', async () => {
    const outcome = await find.run!(
      validated({}),
      ctx,
      fakeRunner(ok('/workspace/a\0/workspace/b', { truncated: true })).exec,
    );
    expect(outcome).toMatchObject({ stdout: 'a\n', truncated: true, structured: { paths: ['a'] } });
  });

  it('a missing start path is NOT_FOUND naming the workspace path', async () => {
    const missing = ok('', { exitCode: 1, stderr: 'find: /workspace/nope: No such file or directory\n' });
    const outcome = await find.run!(validated({ path: 'nope' }), ctx, fakeRunner(missing).exec);
    expect(outcome.error).toEqual({ code: 'NOT_FOUND', message: 'nope does not exist in the workspace' });
  });

  it('an entry the sandbox refused to stat (gVisor: a host FIFO) is a skipped special, not a failure', async () => {
    const refused = ok('/workspace\0/workspace/a\0', {
      exitCode: 1,
      stderr: 'find: /workspace/pipe: Operation not permitted\nfind: /workspace/d/p2: Operation not permitted\n',
    });
    const outcome = await find.run!(validated({}), ctx, fakeRunner(refused).exec);
    expect(outcome).toMatchObject({ exitCode: 0, stdout: '.\na\n', structured: { skipped: { special: 2 } } });
    expect(outcome.stderr).toBe('note: skipped 2 special files (FIFOs, sockets, devices)\n');
    expect(outcome.error).toBeUndefined();
  });

  it('EPERM on the start path itself, or next to another error, stays a failure', async () => {
    const start = ok('', { exitCode: 1, stderr: 'find: /workspace/src: Operation not permitted\n' });
    const own = await find.run!(validated({ path: 'src' }), ctx, fakeRunner(start).exec);
    expect(own.error).toMatchObject({ code: 'PERMISSION_DENIED' });
    const mixed = ok('/workspace\0', {
      exitCode: 1,
      stderr: 'find: /workspace/pipe: Operation not permitted\nfind: /workspace/locked: Permission denied\n',
    });
    const both = await find.run!(validated({}), ctx, fakeRunner(mixed).exec);
    expect(both.error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(both.stderr).toContain('find: /workspace/locked: Permission denied');
    expect(both.stderr).not.toContain('/workspace/pipe');
  });

  it('maps legacy args through the allowlist', () => {
    expect(validateToolArgs('find', ['/workspace/src', '-name', '*.go', '-type', 'f', '-maxdepth', '3'])).toMatchObject(
      {
        ok: true,
        params: { path: 'src', name: '*.go', type: 'file', max_depth: 3 },
      },
    );
    for (const bad of [
      ['.', '-exec', 'rm', '{}', ';'],
      ['.', '-delete'],
      ['.', '-type', 's'],
    ]) {
      expect(validateToolArgs('find', bad)).toMatchObject({ ok: false, errors: [{ code: 'UNSUPPORTED_ARG' }] });
    }
  });
});
