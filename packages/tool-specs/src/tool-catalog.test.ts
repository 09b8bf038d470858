import {
  allToolSpecs,
  checkToolSpec,
  createToolCatalog,
  getToolSpec,
  ToolSpecError,
  validateToolArgs,
  validateToolCall,
} from './index';
import type { ToolSpec } from './index';

const MiB = 1024 * 1024;

/** A minimal valid custom tool, as the README's "Adding a new tool" shows. */
const wordCount: ToolSpec<{ path: string }> = {
  name: 'word_count',
  displayName: 'Count words',
  description: 'Count lines, words and bytes of a workspace file.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: { path: { type: 'string', format: 'workspace-path', description: 'File path.' } },
    required: ['path'],
    additionalProperties: false,
  },
  image: 'alpine:3.19',
  workspace: 'readonly',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 0.1, memoryBytes: 64 * MiB, pidsLimit: 10 },
  timeoutMs: 30_000,
  command: (p, ctx) => ({ argv: ['wc', '--', `${ctx.workspaceDir}/${p.path}`] }),
};

describe('the default catalog', () => {
  it('has the eight tools with the issue defaults, then the opt-in exec', () => {
    const table = allToolSpecs().map((s) => [
      s.name,
      s.image,
      s.resources.cpus,
      s.resources.memoryBytes / MiB,
      s.resources.pidsLimit,
      s.timeoutMs / 1000,
      s.network,
      s.workspace,
      s.readOnlyRootfs,
    ]);
    expect(table).toEqual([
      ['file_read', 'alpine:3.19', 0.1, 64, 10, 30, 'none', 'readonly', true],
      ['file_write', 'alpine:3.19', 0.1, 64, 10, 30, 'none', 'readwrite', true],
      ['file_edit', 'alpine:3.19', 0.1, 64, 10, 30, 'none', 'readwrite', true],
      ['grep', 'alpine:3.19', 0.2, 128, 20, 60, 'none', 'readonly', true],
      ['find', 'alpine:3.19', 0.2, 128, 20, 60, 'none', 'readonly', true],
      ['list', 'alpine:3.19', 0.1, 64, 10, 30, 'none', 'readonly', true],
      ['web_search', 'curlimages/curl:8.6.0', 0.2, 128, 10, 30, 'egress', 'none', true],
      ['fetch_url', 'curlimages/curl:8.6.0', 0.2, 128, 10, 60, 'egress', 'none', true],
      ['exec', 'alpine:3.19', 1, 512, 64, 60, 'none', 'readwrite', true],
    ]);
    // Only exec is opt-in, and only exec caps output head+tail.
    expect(
      allToolSpecs()
        .filter((s) => s.enabledBy !== undefined)
        .map((s) => [s.name, s.enabledBy]),
    ).toEqual([['exec', 'tools.exec.enabled']]);
    expect(
      allToolSpecs()
        .filter((s) => s.outputCap === 'head-tail')
        .map((s) => s.name),
    ).toEqual(['exec']);
  });

  it('ships only specs that pass the registerTool checks', () => {
    for (const spec of allToolSpecs()) expect(checkToolSpec(spec)).toEqual([]);
  });

  it('throws UNKNOWN_TOOL naming the tool', () => {
    expect(() => getToolSpec('rm_rf')).toThrow(ToolSpecError);
    expect(() => getToolSpec('rm_rf')).toThrow(/unknown tool 'rm_rf'/);
    const result = validateToolCall('rm_rf', {});
    expect(result).toMatchObject({
      ok: false,
      tool: 'rm_rf',
      errors: [{ code: 'UNKNOWN_TOOL', path: '' }],
      error: { code: 'UNKNOWN_TOOL' },
    });
    expect(validateToolArgs('rm_rf', [])).toMatchObject({ ok: false, errors: [{ code: 'UNKNOWN_TOOL' }] });
  });
});

describe('validateToolCall', () => {
  it('applies defaults and reports every problem with a JSON path', () => {
    expect(validateToolCall('grep', { pattern: 'x' })).toEqual({
      ok: true,
      tool: 'grep',
      params: {
        pattern: 'x',
        regex: false,
        path: '.',
        exclude: ['.git'],
        case_insensitive: false,
        include_binary: false,
        max_results: 100,
      },
    });
    const result = validateToolCall('grep', { pattern: 3, max_results: 0, colour: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { code: 'INVALID_PARAMS', path: '/colour', message: expect.stringMatching(/unknown parameter 'colour'/) },
      { code: 'INVALID_PARAMS', path: '/pattern', message: 'must be a string (got number)' },
      { code: 'INVALID_PARAMS', path: '/max_results', message: 'must be >= 1' },
    ]);
    expect(result.error.message).toMatch(/^grep: \/colour: unknown parameter/);
  });

  it('reports missing required parameters and non-object calls', () => {
    expect(validateToolCall('file_read', {})).toMatchObject({
      ok: false,
      errors: [{ path: '/path', message: 'is required' }],
    });
    expect(validateToolCall('file_read', 'main.go')).toMatchObject({
      ok: false,
      errors: [{ path: '', message: 'must be an object (got string)' }],
    });
    expect(validateToolCall('file_read', [])).toMatchObject({ ok: false, errors: [{ path: '' }] });
  });

  it('treats null for an optional parameter as absent (OpenAI strict mode)', () => {
    expect(validateToolCall('list', { path: null, recursive: null, max_entries: null })).toMatchObject({
      ok: true,
      params: { path: '.', recursive: false, max_entries: 500 },
    });
    expect(validateToolCall('file_read', { path: null })).toMatchObject({ ok: false, errors: [{ path: '/path' }] });
  });

  it('rejects lone surrogates in any string', () => {
    for (const bad of ['\uD800', 'a\uDC00b', 'x\uDBFF']) {
      expect(validateToolCall('web_search', { query: bad })).toMatchObject({
        ok: false,
        errors: [{ path: '/query', message: expect.stringMatching(/lone surrogate/) }],
      });
    }
    expect(validateToolCall('web_search', { query: '🐑' }).ok).toBe(true);
  });

  it('limits the total parameter size per tool', () => {
    const big = 'x'.repeat(2 * MiB);
    expect(validateToolCall('grep', { pattern: 'x', include: big })).toMatchObject({
      ok: false,
      errors: [{ code: 'PARAMS_TOO_LARGE', message: expect.stringMatching(/limit for grep is 1048576/) }],
    });
    expect(validateToolCall('file_write', { path: 'a', content: big }).ok).toBe(true);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(validateToolCall('list', circular)).toMatchObject({ ok: false, errors: [{ message: /JSON-serialisable/ }] });
  });

  it('refuses legacy args for tools without fromArgs', () => {
    expect(validateToolArgs('file_edit', ['s/a/b/', 'f'])).toMatchObject({
      ok: false,
      errors: [{ code: 'UNSUPPORTED_ARG' }],
    });
  });
});

describe('createToolCatalog', () => {
  it('overrides image, resources and timeout without touching the defaults', () => {
    const catalog = createToolCatalog({
      overrides: { grep: { image: 'mirror/alpine:3.19', resources: { memoryBytes: 256 * MiB }, timeoutMs: 5000 } },
    });
    expect(catalog.get('grep')).toMatchObject({
      image: 'mirror/alpine:3.19',
      resources: { cpus: 0.2, memoryBytes: 256 * MiB, pidsLimit: 20 },
      timeoutMs: 5000,
    });
    expect(getToolSpec('grep').image).toBe('alpine:3.19');
    expect(catalog.validate('grep', { pattern: 'x' }).ok).toBe(true);
  });

  it('disables tools', () => {
    const catalog = createToolCatalog({ disabled: ['web_search', 'fetch_url'] });
    expect(catalog.all().map((s) => s.name)).not.toContain('fetch_url');
    expect(catalog.has('fetch_url')).toBe(false);
    expect(catalog.validate('fetch_url', { url: 'https://a' })).toMatchObject({
      ok: false,
      errors: [{ code: 'UNKNOWN_TOOL' }],
    });
  });

  it('refuses overrides and disabled entries naming unknown tools, and bad values', () => {
    expect(() => createToolCatalog({ overrides: { gerp: { timeoutMs: 1 } } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OVERRIDE' }),
    );
    expect(() => createToolCatalog({ disabled: ['gerp'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OVERRIDE' }),
    );
    expect(() => createToolCatalog({ overrides: { grep: { resources: { cpus: 0 } } } })).toThrow(
      /resources\/cpus: must be a positive number/,
    );
    expect(() => createToolCatalog({ overrides: { grep: { timeoutMs: -1 } } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OVERRIDE' }),
    );
  });

  it('registers a custom tool with one call', () => {
    const catalog = createToolCatalog();
    catalog.registerTool(wordCount);
    expect(catalog.validate('word_count', { path: '/workspace/a.txt' })).toEqual({
      ok: true,
      tool: 'word_count',
      params: { path: 'a.txt' },
    });
    expect(catalog.get('word_count').command({ path: 'a.txt' }, { workspaceDir: '/workspace' }).argv).toEqual([
      'wc',
      '--',
      '/workspace/a.txt',
    ]);
    expect(() => catalog.registerTool(wordCount)).toThrow(expect.objectContaining({ code: 'DUPLICATE_TOOL' }));
    expect(createToolCatalog({ custom: [wordCount] }).has('word_count')).toBe(true);
  });

  it.each([
    ['a bad name', { name: 'word count' }, /\/name/],
    ['a non-object schema', { parameters: { type: 'string' } }, /\/parameters\/type/],
    ['open schemas', { parameters: { ...wordCount.parameters, additionalProperties: true } }, /additionalProperties/],
    [
      'a required key without property',
      { parameters: { ...wordCount.parameters, required: ['nope'] } },
      /names 'nope'/,
    ],
    [
      'a default that fails its own schema',
      {
        parameters: {
          type: 'object',
          additionalProperties: false,
          properties: { n: { type: 'integer', minimum: 1, default: 0 } },
        },
      },
      /default: must be >= 1/,
    ],
    ['zero memory', { resources: { cpus: 1, memoryBytes: 0, pidsLimit: 1 } }, /memoryBytes/],
    ['no command', { command: undefined }, /\/command/],
    ['a bad network', { network: 'host' }, /\/network/],
  ])('refuses a spec with %s', (_label, patch, message) => {
    const catalog = createToolCatalog();
    const bad = { ...wordCount, ...patch } as unknown as ToolSpec;
    expect(() => catalog.registerTool(bad)).toThrow(message);
    expect(() => catalog.registerTool(bad)).toThrow(expect.objectContaining({ code: 'INVALID_SPEC' }));
  });
});

describe('ToolSpecError', () => {
  it('normalises anything thrown', () => {
    const e = ToolSpecError.fromUnknown(new TypeError('boom'), 'grep');
    expect(e).toMatchObject({ name: 'ToolSpecError', code: 'INTERNAL', tool: 'grep', message: 'boom' });
    expect(e.cause).toBeInstanceOf(TypeError);
    expect(ToolSpecError.fromUnknown('text').message).toBe('text');
    const same = new ToolSpecError('UNKNOWN_TOOL', 'x');
    expect(ToolSpecError.fromUnknown(same)).toBe(same);
  });
});
