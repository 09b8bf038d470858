import { find, validateToolArgs, validateToolCall } from '../index';
import type { FindParams } from '../index';
import { ctx, validParams, fakeRunner, HOSTILE, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): FindParams => validParams<FindParams>('find', params);

describe('find', () => {
  it('puts the workspace path first and only fixed primaries after it', () => {
    expect(find.command(validated({}), ctx).argv).toEqual(['find', '/workspace']);
    expect(find.command(validated({ path: 'src', name: '*.ts', type: 'file', max_depth: 2 }), ctx).argv).toEqual([
      'find',
      '/workspace/src',
      '-maxdepth',
      '2',
      '-type',
      'f',
      '-name',
      '*.ts',
    ]);
    expect(find.command(validated({ type: 'symlink' }), ctx).argv).toEqual(['find', '/workspace', '-type', 'l']);
  });

  it.each([...HOSTILE.filter((h) => !h.includes('/')), '-exec', '-delete'])(
    'keeps the name %j as the operand of -name',
    (name) => {
      const argv = find.command(validated({ name }), ctx).argv;
      expect(argv).toEqual(['find', '/workspace', '-name', name]);
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
    const stdout = '/workspace\n/workspace/a\n/workspace/b\n';
    const outcome = await find.run!(validated({ max_results: 2 }), ctx, fakeRunner(ok(stdout)).exec);
    expect(outcome).toMatchObject({ stdout: '/workspace\n/workspace/a\n', truncated: true });
    expect(find.parseOutput!(ok(stdout), validated({}))).toEqual({ paths: ['.', 'a', 'b'], truncated: false });
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
