import fc from 'fast-check';
import {
  checkHttpUrl,
  fileEdit,
  fileWrite,
  getToolSpec,
  normalizeWorkspacePath,
  READ_SCRIPT,
  validateToolCall,
  WRITE_SCRIPT,
} from './index';
import { searchUrl } from './tools/web-search';
import { ctx, fakeRunner, HOSTILE, ok } from '../test/fake-runner';

// Strings a model could send: arbitrary Unicode (with lone surrogates), shell and option syntax, path tricks.
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom(
      '-',
      '/',
      '.',
      '..',
      '$',
      '(',
      ')',
      '`',
      ';',
      '|',
      '&',
      '\n',
      '\0',
      ' ',
      '*',
      '=',
      '\\',
      "'",
      '"',
      'a',
      '/workspace',
    ),
    maxLength: 30,
  }),
  fc.constantFrom(...HOSTILE),
);

const PLACEHOLDER = 'PLACEHOLDER';

/** How each argv-bound string parameter must appear: one whole element, derived only from the validated value. */
const cases: Array<{
  tool: string;
  param: string;
  base: Record<string, unknown>;
  element: (v: string) => string | undefined;
}> = [
  {
    tool: 'file_read',
    param: 'path',
    base: {},
    element: (v) => `/workspace/${normalizeWorkspacePath(v)}`.replace(/\/\.$/, ''),
  },
  {
    tool: 'file_read',
    param: 'path',
    base: { offset: 5, limit: 10 },
    element: (v) => `/workspace/${normalizeWorkspacePath(v)}`.replace(/\/\.$/, ''),
  },
  { tool: 'grep', param: 'pattern', base: {}, element: (v) => v },
  {
    tool: 'grep',
    param: 'path',
    base: { pattern: 'x' },
    element: (v) => `/workspace/${normalizeWorkspacePath(v)}`.replace(/\/\.$/, ''),
  },
  { tool: 'grep', param: 'include', base: { pattern: 'x' }, element: (v) => v },
  { tool: 'find', param: 'name', base: {}, element: (v) => v },
  {
    tool: 'find',
    param: 'path',
    base: { name: '*.ts', type: 'file', max_depth: 3 },
    element: (v) => `/workspace/${normalizeWorkspacePath(v)}`.replace(/\/\.$/, ''),
  },
  {
    tool: 'list',
    param: 'path',
    base: { recursive: true },
    element: (v) => `/workspace/${normalizeWorkspacePath(v)}`.replace(/\/\.$/, ''),
  },
  { tool: 'web_search', param: 'query', base: {}, element: (v) => searchUrl(ctx, v) },
];

describe('argv building (property)', () => {
  it.each(cases.map((c) => [`${c.tool}.${c.param}`, c] as const))(
    '%s: a string parameter is only ever one whole argv element',
    (_label, c) => {
      const spec = getToolSpec(c.tool);
      const baseline = validateToolCall(c.tool, { ...c.base, [c.param]: PLACEHOLDER });
      if (!baseline.ok) throw baseline.error;
      const baseArgv = spec.command(baseline.params, ctx).argv;
      fc.assert(
        fc.property(nasty, (value) => {
          const result = validateToolCall(c.tool, { ...c.base, [c.param]: value });
          if (!result.ok) return; // refused at validation: nothing runs
          const argv = spec.command(result.params, ctx).argv;
          const placeholderElement = c.element(PLACEHOLDER);
          const expected = baseArgv.map((e) =>
            e === placeholderElement ? (c.element(result.params[c.param] as string) as string) : e,
          );
          // Same shape as the baseline: nothing split, nothing added, every fixed element unchanged.
          expect(argv).toEqual(expected);
          for (const e of argv) expect(e).not.toContain('\0');
        }),
        { numRuns: 300 },
      );
    },
  );

  it('fetch_url: the URL is one element after --, in the canonical form the check approved', () => {
    const spec = getToolSpec('fetch_url');
    const fixed = spec.command({ url: 'https://example.com/' }, ctx).argv.slice(0, -1);
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      nasty.map((s) => `https://example.com/${s}`),
      nasty,
    );
    fc.assert(
      fc.property(url, (value) => {
        const result = validateToolCall('fetch_url', { url: value });
        if (!result.ok) return;
        const argv = spec.command(result.params, ctx).argv;
        const checked = checkHttpUrl(value);
        expect(checked.ok).toBe(true);
        expect(argv).toEqual([...fixed, checked.ok ? checked.href : '']);
        expect(fixed.at(-1)).toBe('--');
      }),
      { numRuns: 300 },
    );
  });

  it('file_write and file_edit: content and edit strings only ever travel on stdin', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, nasty, async (a, b) => {
        const write = validateToolCall('file_write', { path: 'dir/f', content: a, fail_if_exists: true });
        if (write.ok) {
          const { exec, commands } = fakeRunner(ok('', { exitCode: 1 }), ok(), ok());
          await fileWrite.run!(write.params as never, ctx, exec);
          expect(commands.map((c) => c.argv)).toEqual([
            ['test', '-e', '/workspace/dir/f'],
            ['mkdir', '-p', '--', '/workspace/dir'],
            ['sh', '-c', WRITE_SCRIPT, 'sh', '/workspace/dir/f'],
          ]);
          expect(commands[2]?.stdin).toBe(a);
        }
        const edit = validateToolCall('file_edit', { path: 'f', old_string: a, new_string: b });
        if (edit.ok) {
          const { exec, commands } = fakeRunner(ok(`<${a}>`), ok());
          const outcome = await fileEdit.run!(edit.params as never, ctx, exec);
          expect(commands.map((c) => c.argv)).toEqual(
            [
              ['sh', '-c', READ_SCRIPT, 'sh', '/workspace/f', 'cat'],
              ['sh', '-c', WRITE_SCRIPT, 'sh', '/workspace/f'],
            ].slice(0, commands.length),
          );
          if (outcome.error === undefined) expect(commands[1]?.stdin).toBe(`<${b}>`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
