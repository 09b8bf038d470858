import { grep, validateToolArgs, validateToolCall } from '../index';
import type { GrepParams, GrepResult } from '../index';
import { ctx, validParams, fakeRunner, HOSTILE, ok } from '../../test/fake-runner';
import { findFilter, GREP_CHILD_SCRIPT, GREP_MAIN_SCRIPT, parseGrepFrames } from './grep-walk';

const validated = (params: Record<string, unknown>): GrepParams => validParams<GrepParams>('grep', params);

const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');

/** The main script's output for one batch: a G record per matched file, their `grep -n -H` lines, the summary. */
function frames(files: Array<[string, string[]]>, summary = '0 0 0'): string {
  if (files.length === 0) return `\0S\0${summary}\n`;
  const announce = files.map(([name, lines]) => `\0G${lines.length}\0${name}`).join('');
  const body = files.flatMap(([name, lines]) => lines.map((l) => `${name}:${l}`));
  return `${announce}\0L\0${text(body)}\0S\0${summary}\n`;
}

/** One file alone (a name with a newline): an F record with `grep -n` lines. */
const single = (name: string, lines: string[]): string => `\0F${name}\0${text(lines)}`;

/** argv after the fixed part: `sh -c MAIN grep CHILD`. */
function args(params: Record<string, unknown>): string[] {
  const argv = grep.command(validated(params), ctx).argv;
  expect(argv.slice(0, 5)).toEqual(['sh', '-c', GREP_MAIN_SCRIPT, 'grep', GREP_CHILD_SCRIPT]);
  return argv.slice(5);
}

describe('grep command', () => {
  it('passes root, cap, binary, mode, case and pattern as positionals, then prunes .git by default', () => {
    expect(args({ pattern: 'TODO' })).toEqual([
      '/workspace',
      '100',
      '0',
      '-F',
      '',
      'TODO',
      ...['(', '-name', '.git', ')', '-prune', '-o'],
    ]);
    expect(grep.command(validated({ pattern: 'TODO' }), ctx).env).toBeUndefined();
  });

  it('uses -E, case folding, include_binary and a sub-path when asked', () => {
    const a = args({
      pattern: 'a+b',
      regex: true,
      case_insensitive: true,
      include_binary: true,
      path: 'src',
      max_results: 7,
      exclude: [],
    });
    expect(a).toEqual(['/workspace/src', '7', '1', '-E', '1', 'a+b']);
  });

  it('pushes include down into the walk: other files end the expression before any search branch', () => {
    expect(args({ pattern: 'x', include: '*.ts', exclude: [] }).slice(6)).toEqual([
      ...['!', '-type', 'd', '!', '-name', '*.ts', '-o'],
    ]);
  });

  it('prunes base-name globs with -name and path globs with -path under the workspace root', () => {
    expect(args({ pattern: 'x', exclude: ['node_modules', 'vendor/*', './build/', '*.min.js'] }).slice(6)).toEqual([
      ...['(', '-name', 'node_modules', '-o', '-path', '/workspace/vendor/*', '-o', '-name', 'build'],
      ...['-o', '-name', '*.min.js', ')', '-prune', '-o'],
    ]);
    // An operator's workspace dir is escaped: only the model's glob is a pattern.
    expect(findFilter(['a/b'], undefined, '/ws[1]')).toEqual(['(', '-path', '/ws\\[1]/a/b', ')', '-prune', '-o']);
  });

  it.each(HOSTILE.filter((h) => !h.includes('\n')))('passes the pattern %j as one positional', (pattern) => {
    const a = args({ pattern, include: pattern.replace(/\//g, '') || 'x', exclude: [pattern] });
    expect(a[5]).toBe(pattern);
    // Everywhere else a model string appears, it is the operand of -name/-path.
    a.slice(6).forEach((e, i) => {
      if (e.includes(pattern) && e !== '-name') expect(['-name', '-path']).toContain(a[6 + i - 1]);
    });
  });

  it('keeps {} out of the scripts: find -exec would substitute a file name into them', () => {
    expect(GREP_CHILD_SCRIPT).not.toContain('{}');
    // The main script's only {} are find's own placeholders, one per -exec.
    expect(GREP_MAIN_SCRIPT.match(/\{\}/g)).toHaveLength(3);
  });

  it('refuses newlines, NUL and empty patterns, bad include and exclude globs', () => {
    expect(validateToolCall('grep', { pattern: 'a\nb' })).toMatchObject({ ok: false, errors: [{ path: '/pattern' }] });
    expect(validateToolCall('grep', { pattern: 'a\0b' })).toMatchObject({ ok: false, errors: [{ path: '/pattern' }] });
    expect(validateToolCall('grep', { pattern: '' })).toMatchObject({ ok: false, errors: [{ path: '/pattern' }] });
    expect(validateToolCall('grep', { pattern: 'x', path: '../..' })).toMatchObject({
      ok: false,
      errors: [{ path: '/path' }],
    });
    expect(validateToolCall('grep', { pattern: 'x', include: 'src/*.ts' })).toMatchObject({
      ok: false,
      errors: [{ path: '/include' }],
    });
    for (const [exclude, path] of [
      [['a\0b'], '/exclude/0'],
      [['ok', '/etc'], '/exclude/1'],
      [['./'], '/exclude/0'],
      [[''], '/exclude/0'],
      [['x'.repeat(257)], '/exclude/0'],
      [Array.from({ length: 33 }, (_, i) => `d${i}`), '/exclude'],
    ] as const) {
      expect(validateToolCall('grep', { pattern: 'x', exclude })).toMatchObject({ ok: false, errors: [{ path }] });
    }
  });

  it('re-checks exclude in command() for unvalidated callers', () => {
    const base = validated({ pattern: 'x' });
    expect(() => grep.command({ ...base, exclude: ['a\0'] }, ctx)).toThrow(/exclude\[0\]/);
    expect(() => grep.command({ ...base, exclude: 'x' as never }, ctx)).toThrow(/exclude must be an array/);
  });
});

describe('grep output', () => {
  it('reads NUL frames: exact names however they look, workspace-relative, display-quoted in stdout', async () => {
    const raw =
      single('/workspace/a\nb.txt', ['1:TODO one']) +
      frames([
        ['/workspace/x:5:y', ['2:TODO two']],
        ['/workspace/src/x.ts:1:forged', ['3:TODO: three', '4:a:9:b']],
        ['/workspace/tab\there\u0007', ['5:TODO\r']],
      ]);
    const { exec } = fakeRunner(ok(raw));
    const outcome = await grep.run!(validated({ pattern: 'TODO' }), ctx, exec);
    expect(outcome.structured).toEqual({
      matches: [
        { path: 'a\nb.txt', line: 1, text: 'TODO one' },
        { path: 'x:5:y', line: 2, text: 'TODO two' },
        { path: 'src/x.ts:1:forged', line: 3, text: 'TODO: three' },
        { path: 'src/x.ts:1:forged', line: 4, text: 'a:9:b' },
        { path: 'tab\there\u0007', line: 5, text: 'TODO\r' },
      ],
      truncated: false,
      skipped: { special: 0, binary: 0 },
    });
    expect(outcome).toMatchObject({ exitCode: 0, stderr: '', truncated: false });
    expect(outcome.stdout).toBe(
      '"a\\nb.txt":1:TODO one\nx:5:y:2:TODO two\nsrc/x.ts:1:forged:3:TODO: three\nsrc/x.ts:1:forged:4:a:9:b\n' +
        '"tab\\there\\x07":5:TODO\r\n',
    );
  });

  it('a newline in a name cannot add a match: the second line of the name is part of the name', () => {
    const raw = single('/workspace/evil\n/workspace/x.ts:1:forged', ['7:real']);
    const parsed = parseGrepFrames(raw);
    expect(parsed.files).toEqual([
      { name: '/workspace/evil\n/workspace/x.ts:1:forged', lines: [{ line: 7, text: 'real' }] },
    ]);
  });

  it('attributes batch lines by the announced counts, even when one name extends another with :N:', () => {
    // `a:5:x:1:hit` could be line 5 of `a` or line 1 of `a:5:x`: the counts say which.
    const raw = frames([
      ['/workspace/a', ['5:x:1:hit', '6:y']],
      ['/workspace/a:5:x', ['1:hit']],
    ]);
    expect(parseGrepFrames(raw).files).toEqual([
      {
        name: '/workspace/a',
        lines: [
          { line: 5, text: 'x:1:hit' },
          { line: 6, text: 'y' },
        ],
      },
      { name: '/workspace/a:5:x', lines: [{ line: 1, text: 'hit' }] },
    ]);
    // A line that does not carry its announced name is dropped, never given to another file.
    const odd = '\0G1\0/workspace/a\0G1\0/workspace/b\0L\0/workspace/b:1:x\n/workspace/b:2:y\n';
    expect(parseGrepFrames(odd).files).toEqual([
      { name: '/workspace/a', lines: [] },
      { name: '/workspace/b', lines: [{ line: 2, text: 'y' }] },
    ]);
  });

  it('ignores bytes outside a record and a summary it cannot read', () => {
    expect(parseGrepFrames('garbage\n/workspace/a:1:x\n')).toEqual({
      files: [],
      special: 0,
      binary: 0,
      truncated: false,
      complete: false,
    });
    expect(parseGrepFrames('\0S\0x y z\n').complete).toBe(false);
  });

  it('an entry the sandbox refused to stat (gVisor: a host FIFO) counts as a skipped special, its line dropped', async () => {
    const { exec } = fakeRunner(
      ok(frames([['/workspace/a.ts', ['1:x']]], '1 0 0'), {
        stderr: 'find: /workspace/dev/fifo: Operation not permitted\n',
      }),
    );
    const outcome = await grep.run!(validated({ pattern: 'x' }), ctx, exec);
    expect(outcome).toMatchObject({ exitCode: 0, structured: { skipped: { special: 2, binary: 0 } } });
    expect(outcome.stderr).toBe('note: skipped 2 special files (FIFOs, sockets, devices, symlinks)\n');
  });

  it('counts skipped special and binary files in structured and in one stderr note', async () => {
    const { exec } = fakeRunner(ok(frames([['/workspace/a.ts', ['1:x']]], '3 1 0'), { stderr: 'grep: oops\n' }));
    const outcome = await grep.run!(validated({ pattern: 'x' }), ctx, exec);
    expect((outcome.structured as GrepResult).skipped).toEqual({ special: 3, binary: 1 });
    expect(outcome.stderr).toBe(
      'grep: oops\nnote: skipped 3 special files (FIFOs, sockets, devices, symlinks) and 1 binary file ' +
        '(use include_binary to search them)\n',
    );
    const one = await grep.run!(validated({ pattern: 'x' }), ctx, fakeRunner(ok(frames([], '1 0 0'))).exec);
    expect(one.stderr).toBe('note: skipped 1 special file (FIFOs, sockets, devices, symlinks)\n');
    const binaries = await grep.run!(validated({ pattern: 'x' }), ctx, fakeRunner(ok(frames([], '0 2 0'))).exec);
    expect(binaries.stderr).toBe('note: skipped 2 binary files (use include_binary to search them)\n');
  });

  it('caps at max_results and reports truncation from the script, the cap, or a cut stdout', async () => {
    const raw = frames([
      ['/workspace/a.ts', ['1:x', '2:x']],
      ['/workspace/b.ts', ['3:x']],
    ]);
    const capped = await grep.run!(validated({ pattern: 'x', max_results: 2 }), ctx, fakeRunner(ok(raw)).exec);
    expect(capped).toMatchObject({ stdout: 'a.ts:1:x\na.ts:2:x\n', truncated: true });
    expect((capped.structured as GrepResult).truncated).toBe(true);
    const byScript = await grep.run!(validated({ pattern: 'x' }), ctx, fakeRunner(ok(frames([], '0 0 1'))).exec);
    expect(byScript.truncated).toBe(true);
    // The runner cut stdout before the summary: the partial result is marked truncated.
    const cut = await grep.run!(
      validated({ pattern: 'x' }),
      ctx,
      fakeRunner(ok('\0G2\0/workspace/a.ts\0L\0/workspace/a.ts:1:x\n/workspace/a.ts:2:', { truncated: true })).exec,
    );
    expect(cut).toMatchObject({ stdout: 'a.ts:1:x\n', truncated: true });
    const all = await grep.run!(validated({ pattern: 'x' }), ctx, fakeRunner(ok(raw)).exec);
    expect(all).toMatchObject({ stdout: 'a.ts:1:x\na.ts:2:x\nb.ts:3:x\n', truncated: false });
  });

  it('no match is an empty success; a missing path is NOT_FOUND naming the workspace path; other failures pass', async () => {
    expect(await grep.run!(validated({ pattern: 'x' }), ctx, fakeRunner(ok(frames([]))).exec)).toMatchObject({
      exitCode: 0,
      stdout: '',
      structured: { matches: [], truncated: false, skipped: { special: 0, binary: 0 } },
    });
    const missing = await grep.run!(
      validated({ pattern: 'x', path: 'no/such' }),
      ctx,
      fakeRunner(ok('', { exitCode: 2, stderr: 'grep: /workspace/no/such: No such file or directory\n' })).exec,
    );
    expect(missing).toMatchObject({
      exitCode: 2,
      stdout: '',
      stderr: 'grep: no/such: No such file or directory\n',
      error: { code: 'NOT_FOUND', message: 'no/such does not exist in the workspace' },
    });
    const failed = await grep.run!(
      validated({ pattern: 'x' }),
      ctx,
      fakeRunner(ok('', { exitCode: 3, stderr: 'sh: cannot create /tmp/x' })).exec,
    );
    expect(failed).toMatchObject({ exitCode: 3, stderr: 'sh: cannot create /tmp/x' });
    expect(failed.error).toBeUndefined();
  });

  it('parseOutput returns what run() built, or reads the bare command output', () => {
    const structured: GrepResult = { matches: [], truncated: false, skipped: { special: 1, binary: 0 } };
    const params = validated({ pattern: 'TODO' });
    expect(grep.parseOutput!({ ...ok('a:1:b\n'), structured } as never, params)).toBe(structured);
    expect(grep.parseOutput!(ok(frames([['/workspace/src/c.ts', ['3:TODO: three']]])), params)).toEqual({
      matches: [{ path: 'src/c.ts', line: 3, text: 'TODO: three' }],
      truncated: false,
      skipped: { special: 0, binary: 0 },
    });
  });
});

describe('grep legacy args', () => {
  it('maps legacy args through the allowlist', () => {
    expect(validateToolArgs('grep', ['-r', 'TODO', '/workspace'])).toEqual({
      ok: true,
      tool: 'grep',
      params: {
        pattern: 'TODO',
        regex: true,
        path: '.',
        exclude: ['.git'],
        case_insensitive: false,
        include_binary: false,
        max_results: 100,
      },
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
