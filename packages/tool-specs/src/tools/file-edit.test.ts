import { fileEdit, READ_SCRIPT, validateToolCall, WRITE_SCRIPT } from '../index';
import type { FileEditParams } from '../index';
import { ctx, validParams, fakeRunner, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): FileEditParams => validParams<FileEditParams>('file_edit', params);

describe('file_edit', () => {
  const params = validated({ path: 'src/a.ts', old_string: 'const x = 1;', new_string: 'const x = $(id);' });

  it('reads, replaces in TypeScript and writes back through stdin', async () => {
    const { exec, commands } = fakeRunner(ok('a\nconst x = 1;\nb\n'), ok('echoed'));
    const outcome = await fileEdit.run!(params, ctx, exec);
    expect(commands).toEqual([
      { argv: ['sh', '-c', READ_SCRIPT, 'sh', '/workspace/src/a.ts', 'cat'] },
      { argv: ['sh', '-c', WRITE_SCRIPT, 'sh', '/workspace/src/a.ts'], stdin: 'a\nconst x = $(id);\nb\n' },
    ]);
    expect(outcome).toEqual({
      exitCode: 0,
      stdout: 'src/a.ts: 1 replacement\n',
      stderr: '',
      truncated: false,
      structured: { path: 'src/a.ts', replacements: 1 },
    });
    // Neither string from the model reaches any argv.
    for (const c of commands) expect(c.argv.join(' ')).not.toMatch(/const x/);
  });

  it.each([
    ['no match', 'other text\n', 'EDIT_NO_MATCH'],
    ['two matches', 'const x = 1;const x = 1;', 'EDIT_AMBIGUOUS'],
    ['binary content', 'const x = 1;\uFFFD', 'EDIT_NOT_TEXT'],
  ])('fails with a stable code on %s and writes nothing', async (_label, content, code) => {
    const { exec, commands } = fakeRunner(ok(content));
    const outcome = await fileEdit.run!(params, ctx, exec);
    expect(outcome.error?.code).toBe(code);
    expect(outcome.exitCode).not.toBe(0);
    expect(commands).toHaveLength(1);
  });

  it('replaces all occurrences when asked', async () => {
    const { exec, commands } = fakeRunner(ok('a a'), ok());
    const outcome = await fileEdit.run!(
      validated({ path: 'f', old_string: 'a', new_string: 'b', replace_all: true }),
      ctx,
      exec,
    );
    expect(commands[1]?.stdin).toBe('b b');
    expect(outcome.stdout).toBe('f: 2 replacements\n');
  });

  it('refuses a truncated read and a failed read', async () => {
    const truncated = fakeRunner(ok('const x = 1;', { truncated: true }));
    expect((await fileEdit.run!(params, ctx, truncated.exec)).error?.code).toBe('EDIT_FILE_TOO_LARGE');
    // Issue 12: a missing file is NOT_FOUND (was READ_FAILED); other read failures stay READ_FAILED.
    const missing = fakeRunner(ok('', { exitCode: 1, stderr: 'cat: no such file' }));
    expect(await fileEdit.run!(params, ctx, missing.exec)).toMatchObject({
      error: { code: 'NOT_FOUND' },
      stderr: 'cat: no such file',
    });
    const other = fakeRunner(ok('', { exitCode: 1, stderr: 'cat: I/O error' }));
    expect((await fileEdit.run!(params, ctx, other.exec)).error?.code).toBe('READ_FAILED');
  });

  it('validates old_string and new_string', () => {
    expect(validateToolCall('file_edit', { path: 'f', old_string: '', new_string: 'x' })).toMatchObject({
      ok: false,
      errors: [{ path: '/old_string' }],
    });
    expect(validateToolCall('file_edit', { path: 'f', old_string: 'x', new_string: 'x' })).toMatchObject({
      ok: false,
      errors: [{ path: '/new_string' }],
    });
    expect(
      validateToolCall('file_edit', { path: 'f', old_string: 'x', new_string: 'y', replace_all: 'yes' }),
    ).toMatchObject({ ok: false, errors: [{ path: '/replace_all' }] });
  });
});
