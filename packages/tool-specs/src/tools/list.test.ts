import { list, validateToolArgs, validateToolCall } from '../index';
import type { ListParams } from '../index';
import { ctx, validParams, fakeRunner, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): ListParams => validParams<ListParams>('list', params);

describe('list', () => {
  it('runs ls -la or ls -laR with the path after --', () => {
    expect(list.command(validated({}), ctx).argv).toEqual(['ls', '-la', '--', '/workspace']);
    expect(list.command(validated({ path: '-R', recursive: true }), ctx).argv).toEqual([
      'ls',
      '-laR',
      '--',
      '/workspace/-R',
    ]);
  });

  it('caps output lines at max_entries', async () => {
    const outcome = await list.run!(validated({ max_entries: 2 }), ctx, fakeRunner(ok('total 0\na\nb\nc\n')).exec);
    expect(outcome).toMatchObject({ stdout: 'total 0\na\n', truncated: true });
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
