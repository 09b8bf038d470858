import {
  allToolSpecs,
  toAnthropicTools,
  toMcpTools,
  toOpenAITools,
  validateAgainstSchema,
  validateToolCall,
} from './index';
import type { JsonSchema } from './index';

// Structural checks of the shapes the providers document:
// - OpenAI Chat Completions tools: {type:'function', function:{name, description?, parameters?, strict?}}, name ^[a-zA-Z0-9_-]{1,64}$.
// - Anthropic Messages tools: {name, description?, input_schema:{type:'object',...}}, same name rule.
// - MCP tools/list: {name, title?, description?, inputSchema:{type:'object', properties?, required?}, outputSchema?, annotations?}.
const NAME = '^[a-zA-Z0-9_-]{1,64}$';
const objectSchema: JsonSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['object'] },
    properties: { type: 'object' },
    required: { type: 'array', items: { type: 'string' } },
    additionalProperties: { type: 'boolean' },
  },
  required: ['type', 'properties'],
};
const shapes: Record<string, JsonSchema> = {
  openai: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'function'],
    properties: {
      type: { type: 'string', enum: ['function'] },
      function: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'parameters'],
        properties: {
          name: { type: 'string', pattern: NAME },
          description: { type: 'string', minLength: 1 },
          parameters: objectSchema,
          strict: { type: 'boolean' },
        },
      },
    },
  },
  anthropic: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'input_schema'],
    properties: {
      name: { type: 'string', pattern: NAME },
      description: { type: 'string', minLength: 1 },
      input_schema: objectSchema,
    },
  },
  mcp: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'inputSchema'],
    properties: {
      name: { type: 'string', pattern: NAME },
      title: { type: 'string' },
      description: { type: 'string' },
      inputSchema: objectSchema,
      // MCP requires an object root for outputSchema.
      outputSchema: {
        type: 'object',
        properties: { type: { type: 'string', enum: ['object'] }, properties: { type: 'object' } },
        required: ['type', 'properties'],
      },
      annotations: {
        type: 'object',
        additionalProperties: false,
        properties: {
          title: { type: 'string' },
          readOnlyHint: { type: 'boolean' },
          destructiveHint: { type: 'boolean' },
          idempotentHint: { type: 'boolean' },
          openWorldHint: { type: 'boolean' },
        },
      },
    },
  },
};

const specs = allToolSpecs();

function allKeys(value: unknown, out: string[] = []): string[] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allKeys(v, out);
    }
  }
  return out;
}

describe('exporters', () => {
  it.each([
    ['openai', toOpenAITools(specs)],
    ['openai', toOpenAITools(specs, { strict: true })],
    ['anthropic', toAnthropicTools(specs)],
    ['mcp', toMcpTools(specs)],
  ] as const)('%s output matches the documented tool shape', (shape, tools) => {
    expect(tools).toHaveLength(9);
    for (const tool of tools) expect(validateAgainstSchema(shapes[shape] as JsonSchema, tool).issues).toEqual([]);
  });

  it('strips private keywords and formats', () => {
    const keys = allKeys([toOpenAITools(specs), toAnthropicTools(specs), toMcpTools(specs)]);
    expect(keys.filter((k) => k.startsWith('x-'))).toEqual([]);
    expect(JSON.stringify(toAnthropicTools(specs))).not.toContain('workspace-path');
    expect(specs[0]?.parameters.properties?.path?.format).toBe('workspace-path');
  });

  it('emits strict OpenAI schemas: all properties required, optionals nullable, no default', () => {
    const fileRead = toOpenAITools(specs, { strict: true })[0]?.function;
    expect(fileRead?.strict).toBe(true);
    expect(fileRead?.parameters).toMatchObject({
      required: ['path', 'offset', 'limit'],
      additionalProperties: false,
      properties: { path: { type: 'string' }, offset: { type: ['integer', 'null'] } },
    });
    const grep = toOpenAITools(specs, { strict: true })[3]?.function.parameters as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(grep.properties.max_results).not.toHaveProperty('default');
    expect(grep.properties.max_results?.description).toMatch(/Default: 100/);
    const find = toOpenAITools(specs, { strict: true })[4]?.function.parameters as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(find.properties.type?.enum).toEqual(['file', 'directory', 'symlink', null]);
    // What a strict-mode model sends validates.
    expect(
      validateToolCall('find', { path: null, name: '*.md', type: null, max_depth: null, max_results: null }).ok,
    ).toBe(true);
  });

  it('exports exec: env as a map for MCP, Anthropic and plain OpenAI; left out in strict mode', () => {
    const exec = toMcpTools(specs).find((t) => t.name === 'exec');
    expect(exec?.inputSchema).toMatchObject({
      properties: {
        env: {
          type: 'object',
          maxProperties: 64,
          propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          additionalProperties: { type: 'string' },
        },
      },
    });
    expect(JSON.stringify(exec?.inputSchema)).not.toContain('x-');
    expect(exec?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    const strict = toOpenAITools(specs, { strict: true }).find((t) => t.function.name === 'exec')?.function
      .parameters as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(strict.properties)).toEqual(['command', 'argv', 'cwd', 'stdin', 'timeout_seconds']);
    expect(strict.required).toEqual(['command', 'argv', 'cwd', 'stdin', 'timeout_seconds']);
    // What a strict-mode model sends validates.
    expect(
      validateToolCall('exec', { command: 'ls', argv: null, cwd: null, stdin: null, timeout_seconds: null }).ok,
    ).toBe(true);
  });

  it('exports an MCP outputSchema for exactly the tools with a structured result', () => {
    const withOutput = toMcpTools(specs)
      .filter((t) => t.outputSchema !== undefined)
      .map((t) => t.name);
    expect(withOutput).toEqual(['file_edit', 'grep', 'find', 'list', 'web_search', 'exec']);
    const edit = toMcpTools(specs).find((t) => t.name === 'file_edit');
    expect(edit?.outputSchema).toMatchObject({ required: ['path', 'replacements'], additionalProperties: false });
  });

  it('derives MCP hints from workspace access and network', () => {
    const byName = Object.fromEntries(toMcpTools(specs).map((t) => [t.name, t.annotations]));
    expect(byName.file_read).toEqual({ title: 'Read file', readOnlyHint: true, openWorldHint: false });
    expect(byName.file_write).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(byName.file_edit).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    expect(byName.fetch_url).toMatchObject({ readOnlyHint: true, openWorldHint: true });
  });
});
