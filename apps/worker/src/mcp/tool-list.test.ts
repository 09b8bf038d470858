import Ajv from 'ajv';
import { createToolCatalog } from '@baaaht/tool-specs';
import type {
  ExecResult,
  FileEditResult,
  FindResult,
  GrepResult,
  ListResult,
  WebSearchResult,
} from '@baaaht/tool-specs';
import { WORKSPACE_ARGUMENT, mcpToolsOf, splitArguments } from './tool-list';

const specs = createToolCatalog().all();
const byName = (roots: readonly string[] = ['/srv/ws']) =>
  Object.fromEntries(mcpToolsOf(specs, { workspaceRoots: roots }).map((t) => [t.name, t]));

/** One real-shaped structured result per tool with an outputSchema, typed by the tool's own result type. */
const SAMPLES: Record<string, unknown[]> = {
  grep: [
    {
      matches: [{ path: 'src/a.ts', line: 3, text: 'const x = 1; // TODO' }],
      truncated: false,
      skipped: { special: 0, binary: 1 },
    } satisfies GrepResult,
    { matches: [], truncated: true, skipped: { special: 2, binary: 0 } } satisfies GrepResult,
  ],
  find: [{ paths: ['.', 'src', 'src/a.ts'], truncated: false, skipped: { special: 1 } } satisfies FindResult],
  list: [
    {
      entries: [
        { path: 'README.md', name: 'README.md', type: 'file', size: 12, mode: '0644', mtime: '2026-11-27T19:31:00Z' },
        {
          path: 'link',
          name: 'link',
          type: 'symlink',
          size: 9,
          mode: '0777',
          mtime: '2026-11-27T19:31:00Z',
          target: 'README.md',
        },
      ],
      truncated: false,
    } satisfies ListResult,
  ],
  web_search: [
    {
      results: [{ title: 'baaaht', url: 'https://example.org/', snippet: '' }] satisfies WebSearchResult[],
    },
  ],
  file_edit: [{ path: 'src/a.ts', replacements: 2 } satisfies FileEditResult],
  exec: [
    {
      exitCode: 137,
      signal: 'SIGKILL',
      stdout: { truncated: true, droppedBytes: 1024 },
      stderr: { truncated: false, droppedBytes: 0 },
    } satisfies ExecResult,
    {
      exitCode: 0,
      signal: null,
      stdout: { truncated: false, droppedBytes: 0 },
      stderr: { truncated: false, droppedBytes: 0 },
    } satisfies ExecResult,
  ],
};

describe('mcpToolsOf', () => {
  it('lists every tool with inputSchema, title and hints; openWorldHint only for the web tools', () => {
    const tools = mcpToolsOf(specs, { workspaceRoots: ['/srv/ws'] });
    expect(tools.map((t) => t.name)).toEqual(specs.map((s) => s.name));
    for (const tool of tools) {
      const spec = specs.find((s) => s.name === tool.name);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.title).toBe(spec?.displayName);
      expect(tool.annotations?.openWorldHint).toBe(spec?.network === 'egress');
      expect(tool.annotations?.readOnlyHint).toBe(spec?.workspace !== 'readwrite');
      if (spec?.workspace === 'readwrite') expect(tool.annotations?.destructiveHint).toBe(true);
    }
  });

  it('adds the workspace argument to the tools that mount one, required unless there is exactly one root', () => {
    expect(specs.some((s) => Object.keys(s.parameters.properties ?? {}).includes(WORKSPACE_ARGUMENT))).toBe(false);
    const one = byName(['/srv/ws']);
    expect(one.file_read?.inputSchema.properties?.[WORKSPACE_ARGUMENT]).toMatchObject({ type: 'string' });
    expect(JSON.stringify(one.file_read?.inputSchema.properties?.[WORKSPACE_ARGUMENT])).toContain('/srv/ws');
    expect(one.file_read?.inputSchema.required).toEqual(['path']);
    expect(one.fetch_url?.inputSchema.properties).not.toHaveProperty(WORKSPACE_ARGUMENT);
    const two = byName(['/srv/a', '/srv/b']);
    expect(two.list?.inputSchema.required).toEqual([WORKSPACE_ARGUMENT]);
    expect(JSON.stringify(two.list?.inputSchema.properties?.[WORKSPACE_ARGUMENT])).toContain('/srv/a, /srv/b');
    expect(byName([]).grep?.inputSchema.required).toEqual(['pattern', WORKSPACE_ARGUMENT]);
  });

  it('gives an outputSchema to exactly the tools with a structured result; each validates real-shaped results', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    const tools = mcpToolsOf(specs);
    expect(
      tools
        .filter((t) => t.outputSchema !== undefined)
        .map((t) => t.name)
        .sort(),
    ).toEqual(Object.keys(SAMPLES).sort());
    for (const tool of tools) {
      if (tool.outputSchema === undefined) continue;
      const validate = ajv.compile(tool.outputSchema);
      for (const sample of SAMPLES[tool.name] ?? []) {
        expect({ tool: tool.name, valid: validate(sample), errors: validate.errors ?? null }).toEqual({
          tool: tool.name,
          valid: true,
          errors: null,
        });
      }
      // The schemas are closed: a field the tool does not return is a mismatch, not silently accepted.
      expect(validate({ ...(SAMPLES[tool.name]?.[0] as object), surprise: 1 })).toBe(false);
    }
  });

  it('adds per-tool _meta when asked (the fleet door’s availability)', () => {
    const tools = mcpToolsOf(specs, { meta: (name) => (name === 'grep' ? { 'org.baaaht/workers': 2 } : undefined) });
    expect(tools.find((t) => t.name === 'grep')?._meta).toEqual({ 'org.baaaht/workers': 2 });
    expect(tools.find((t) => t.name === 'find')).not.toHaveProperty('_meta');
  });
});

describe('splitArguments', () => {
  it('takes workspace out for workspace tools and leaves it (to be refused) for the others', () => {
    const grep = specs.find((s) => s.name === 'grep');
    const fetch = specs.find((s) => s.name === 'fetch_url');
    expect(splitArguments(grep!, { pattern: 'x', workspace: '/w' })).toEqual({
      params: { pattern: 'x' },
      workspace: '/w',
    });
    expect(splitArguments(fetch!, { url: 'http://x', workspace: '/w' })).toEqual({
      params: { url: 'http://x', workspace: '/w' },
      workspace: undefined,
    });
    expect(splitArguments(grep!, undefined)).toEqual({ params: {}, workspace: undefined });
  });
});
