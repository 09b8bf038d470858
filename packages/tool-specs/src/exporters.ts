import type { JsonSchema, OutputSchema, ToolSpec } from './types';

/** A schema as sent to a provider: plain JSON, our `x-` keywords and private formats removed. */
export type ExportedSchema = Record<string, unknown>;

/** OpenAI Chat Completions `tools[]` entry. */
export interface OpenAITool {
  type: 'function';
  function: { name: string; description: string; parameters: ExportedSchema; strict?: boolean };
}

/** Anthropic Messages API `tools[]` entry. */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: ExportedSchema;
}

/** MCP `tools/list` result entry. */
export interface McpTool {
  name: string;
  title?: string;
  description: string;
  inputSchema: ExportedSchema;
  /** The JSON Schema of `structuredContent`, for tools with a structured result. */
  outputSchema?: ExportedSchema;
  annotations?: {
    title?: string;
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
  };
}

export interface OpenAIExportOptions {
  /**
   * Emit strict-mode schemas: every property required, optional ones nullable (`null` is read as "absent"
   * by `validateToolCall`), and keywords strict mode rejects (`default`, `minLength`, `maxLength`, `format`)
   * removed, their meaning moved into the description where it matters. Optional map parameters (exec's
   * `env`) are left out: strict mode cannot express an object with free keys.
   * @default false
   */
  strict?: boolean;
}

// Formats we define for our own validator; providers would not know them.
const PRIVATE_FORMATS = new Set(['workspace-path']);

/** The parameters schema without our private keywords (`x-*`, `format: 'workspace-path'`). */
export function toPublicSchema(schema: JsonSchema): ExportedSchema {
  const out: ExportedSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-') || (key === 'format' && PRIVATE_FORMATS.has(value as string))) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, toPublicSchema(v)]),
      );
    } else if (
      key === 'items' ||
      key === 'propertyNames' ||
      (key === 'additionalProperties' && typeof value === 'object')
    )
      out[key] = toPublicSchema(value as JsonSchema);
    else out[key] = structuredClone(value);
  }
  return out;
}

function toStrictSchema(schema: JsonSchema): ExportedSchema {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const properties: Record<string, ExportedSchema> = {};
  for (const [key, sub] of Object.entries(props)) {
    // Strict mode has no maps (every object needs additionalProperties: false): a map parameter such as
    // exec's `env` is optional, so it is left out and a strict model simply cannot send it.
    if (typeof sub.additionalProperties === 'object' && !required.has(key)) continue;
    const {
      default: def,
      minLength: _min,
      maxLength: _max,
      format: _format,
      ...rest
    } = toPublicSchema(sub) as ExportedSchema & JsonSchema;
    const notes =
      def === undefined || required.has(key) ? '' : ` Default: ${JSON.stringify(def)} (send null for the default).`;
    properties[key] = {
      ...rest,
      ...(required.has(key) || sub.type === undefined ? {} : { type: [sub.type, 'null'] }),
      ...(rest.description !== undefined || notes !== ''
        ? { description: `${rest.description ?? ''}${notes}`.trim() }
        : {}),
    };
    if (!required.has(key) && sub.enum !== undefined) properties[key]!.enum = [...sub.enum, null];
  }
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

export function toOpenAITools(specs: readonly ToolSpec[], options: OpenAIExportOptions = {}): OpenAITool[] {
  return specs.map((spec) => ({
    type: 'function',
    function: {
      name: spec.name,
      description: spec.description,
      parameters: options.strict === true ? toStrictSchema(spec.parameters) : toPublicSchema(spec.parameters),
      ...(options.strict === true ? { strict: true } : {}),
    },
  }));
}

export function toAnthropicTools(specs: readonly ToolSpec[]): AnthropicTool[] {
  return specs.map((spec) => ({
    name: spec.name,
    description: spec.description,
    input_schema: toPublicSchema(spec.parameters),
  }));
}

/** An output schema as plain JSON (a deep copy, so a caller may change it freely). */
function outputSchemaOf(schema: OutputSchema): ExportedSchema {
  return structuredClone(schema) as ExportedSchema;
}

/** MCP entries; hints follow from the spec: read-only unless the workspace is writable, open-world when it needs egress. */
export function toMcpTools(specs: readonly ToolSpec[]): McpTool[] {
  return specs.map((spec) => {
    const readOnly = spec.workspace !== 'readwrite';
    return {
      name: spec.name,
      title: spec.displayName,
      description: spec.description,
      inputSchema: toPublicSchema(spec.parameters),
      ...(spec.outputSchema !== undefined ? { outputSchema: outputSchemaOf(spec.outputSchema) } : {}),
      annotations: {
        title: spec.displayName,
        readOnlyHint: readOnly,
        // Writing tools overwrite file content, which MCP counts as destructive; the same write twice changes nothing more.
        ...(readOnly ? {} : { destructiveHint: true, idempotentHint: spec.name === 'file_write' }),
        openWorldHint: spec.network === 'egress',
      },
    };
  });
}
