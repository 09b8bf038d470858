import { fileRead, READ_SCRIPT, validateToolArgs, validateToolCall } from '../index';
import { ctx, HOSTILE } from '../../test/fake-runner';

describe('file_read', () => {
  // The path is the positional $1 of the constant guard script, which opens it and runs the filter on it.
  const guard = ['sh', '-c', READ_SCRIPT, 'sh'];

  it('cats the file through the guard script', () => {
    expect(fileRead.command({ path: 'src/main.go' }, ctx).argv).toEqual([...guard, '/workspace/src/main.go', 'cat']);
  });

  it('pages with a sed script built only from integers', () => {
    expect(fileRead.command({ path: 'a', offset: 10, limit: 5 }, ctx).argv).toEqual([
      ...guard,
      '/workspace/a',
      'sed',
      '-n',
      '-e',
      '10,14p',
      '-e',
      '14q',
    ]);
    expect(fileRead.command({ path: 'a', offset: 3 }, ctx).argv).toEqual([
      ...guard,
      '/workspace/a',
      'sed',
      '-n',
      '-e',
      '3,$p',
    ]);
    expect(fileRead.command({ path: 'a', limit: 2 }, ctx).argv).toEqual([
      ...guard,
      '/workspace/a',
      'sed',
      '-n',
      '-e',
      '1,2p',
      '-e',
      '2q',
    ]);
  });

  it('refuses non-integer line numbers even without validation', () => {
    const params = { path: 'a', offset: '1p;e id' as unknown as number };
    expect(() => fileRead.command(params, ctx)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    expect(validateToolCall('file_read', { path: 'a', offset: 0 })).toMatchObject({
      ok: false,
      errors: [{ path: '/offset' }],
    });
    expect(validateToolCall('file_read', { path: 'a', limit: 1.5 })).toMatchObject({
      ok: false,
      errors: [{ path: '/limit' }],
    });
  });

  it.each(HOSTILE)('keeps the hostile path %j as one element under /workspace', (p) => {
    const argv = fileRead.command({ path: p }, ctx).argv;
    expect(argv).toHaveLength(6);
    expect(argv[4]?.startsWith('/workspace/')).toBe(true);
  });

  it.each([
    ['dot-dot', '../etc/passwd'],
    ['absolute outside', '/etc/shadow'],
    ['NUL', 'a\0b'],
    ['5000-byte', 'x'.repeat(5000)],
  ])('rejects a %s path at validation and in command()', (_label, p) => {
    const result = validateToolCall('file_read', { path: p });
    expect(result).toMatchObject({ ok: false, errors: [{ code: 'INVALID_PARAMS', path: '/path' }] });
    expect(() => fileRead.command({ path: p }, ctx)).toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
  });

  it('rejects a 1 MB path by the parameter size limit', () => {
    const p = 'x'.repeat(1 << 20);
    expect(validateToolCall('file_read', { path: p })).toMatchObject({
      ok: false,
      errors: [{ code: 'PARAMS_TOO_LARGE', path: '' }],
    });
    expect(() => fileRead.command({ path: p }, ctx)).toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
  });

  it('accepts an absolute workspace path and normalises it', () => {
    expect(validateToolCall('file_read', { path: '/workspace/./src/../main.go' })).toEqual({
      ok: true,
      tool: 'file_read',
      params: { path: 'main.go' },
    });
  });

  it('maps legacy args', () => {
    expect(validateToolArgs('file_read', ['/workspace/main.go'])).toEqual({
      ok: true,
      tool: 'file_read',
      params: { path: 'main.go' },
    });
    expect(validateToolArgs('file_read', ['-n', 'x'])).toMatchObject({
      ok: false,
      errors: [{ code: 'UNSUPPORTED_ARG' }],
    });
    expect(validateToolArgs('file_read', ['a', 'b'])).toMatchObject({
      ok: false,
      errors: [{ code: 'UNSUPPORTED_ARG' }],
    });
  });
});
