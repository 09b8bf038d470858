import { grep, validateToolArgs, validateToolCall } from '../index';
import type { GrepParams } from '../index';
import { ctx, validParams, fakeRunner, HOSTILE, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): GrepParams => validParams<GrepParams>('grep', params);

describe('grep', () => {
  it('builds a fixed-string recursive search by default', () => {
    expect(grep.command(validated({ pattern: 'TODO' }), ctx)).toEqual({
      argv: ['grep', '-r', '-n', '-H', '-F', '-m', '100', '-e', 'TODO', '--', '/workspace'],
      successExitCodes: [0, 1],
    });
  });

  it('uses -E and -i when asked', () => {
    const argv = grep.command(
      validated({ pattern: 'a+b', regex: true, case_insensitive: true, path: 'src', max_results: 7 }),
      ctx,
    ).argv;
    expect(argv).toEqual(['grep', '-r', '-n', '-H', '-E', '-i', '-m', '7', '-e', 'a+b', '--', '/workspace/src']);
  });

  it.each(HOSTILE.filter((h) => !h.includes('\n')))('passes the pattern %j as the one element after -e', (pattern) => {
    const argv = grep.command(validated({ pattern, include: pattern.replace(/\//g, '') || 'x' }), ctx).argv;
    expect(argv).toEqual(['grep', '-r', '-n', '-H', '-F', '-m', '100', '-e', pattern, '--', '/workspace']);
  });

  it('refuses newlines, NUL and empty patterns', () => {
    expect(validateToolCall('grep', { pattern: 'a\nb' })).toMatchObject({ ok: false, errors: [{ path: '/pattern' }] });
    expect(validateToolCall('grep', { pattern: 'a\0b' })).toMatchObject({ ok: false, errors: [{ path: '/pattern' }] });
    expect(validateToolCall('grep', { pattern: '' })).toMatchObject({ ok: false, errors: [{ path: '/pattern' }] });
    expect(validateToolCall('grep', { pattern: 'x', path: '../..' })).toMatchObject({
      ok: false,
      errors: [{ path: '/path' }],
    });
  });

  const output = [
    '/workspace/a.ts:1:TODO one',
    '/workspace/b.md:2:TODO two',
    '/workspace/src/c.ts:3:TODO: three',
    '',
  ].join('\n');

  it('filters by include glob and caps results in run() (busybox grep has no --include)', async () => {
    const { exec } = fakeRunner(ok(output));
    const outcome = await grep.run!(validated({ pattern: 'TODO', include: '*.ts', max_results: 1 }), ctx, exec);
    expect(outcome).toEqual({ exitCode: 0, stdout: '/workspace/a.ts:1:TODO one\n', stderr: '', truncated: true });
  });

  it('treats exit 1 (no match) as an empty success and passes real errors through', async () => {
    expect(await grep.run!(validated({ pattern: 'x' }), ctx, fakeRunner(ok('', { exitCode: 1 })).exec)).toMatchObject({
      exitCode: 0,
      stdout: '',
    });
    const failed = await grep.run!(
      validated({ pattern: 'x' }),
      ctx,
      fakeRunner(ok('', { exitCode: 2, stderr: 'grep: bad' })).exec,
    );
    expect(failed).toMatchObject({ exitCode: 2, stderr: 'grep: bad' });
  });

  it('parses matches into workspace-relative paths', () => {
    const parsed = grep.parseOutput!(ok(output), validated({ pattern: 'TODO', include: '*.ts' }));
    expect(parsed).toEqual({
      matches: [
        { path: 'a.ts', line: 1, text: 'TODO one' },
        { path: 'src/c.ts', line: 3, text: 'TODO: three' },
      ],
      truncated: false,
    });
  });

  it('maps legacy args through the allowlist', () => {
    expect(validateToolArgs('grep', ['-r', 'TODO', '/workspace'])).toEqual({
      ok: true,
      tool: 'grep',
      params: { pattern: 'TODO', regex: true, path: '.', case_insensitive: false, max_results: 100 },
    });
    expect(validateToolArgs('grep', ['-rniF', '-m', '5', '--include=*.go', '-e', '-x', 'src'])).toMatchObject({
      ok: true,
      params: { pattern: '-x', regex: false, case_insensitive: true, max_results: 5, include: '*.go', path: 'src' },
    });
    for (const bad of [['-r', '--exclude-dir=x', 'a'], ['-f', 'file'], ['-r'], ['-r', 'a', 'b', 'c']]) {
      expect(validateToolArgs('grep', bad)).toMatchObject({ ok: false, errors: [{ code: 'UNSUPPORTED_ARG' }] });
    }
  });
});
