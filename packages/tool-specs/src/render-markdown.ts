import { allToolSpecs } from './default-catalog';
import type { JsonSchema, OutputSchema, ToolSpec } from './types';

/** The command that regenerates docs/tools.md; quoted in the file and in the staleness test. */
export const DOCS_COMMAND = 'pnpm --filter @baaaht/tool-specs docs';

const MiB = 1024 * 1024;

/** Markdown reference of the tools, generated from the specs (docs/tools.md). */
export function renderToolsMarkdown(specs: readonly ToolSpec[] = allToolSpecs()): string {
  const out: string[] = [
    '<!-- Generated from @baaaht/tool-specs. Do not edit: run `' + DOCS_COMMAND + '`. -->',
    '',
    '# Tools',
    '',
    'Every tool runs as argv arrays in a fresh container with a read-only root filesystem (model values are never ' +
      'shell code: where a tool needs a shell, the script is a constant and values are its positional arguments); ' +
      'the workspace is mounted at `/workspace`. Paths are relative to the workspace; `..` escapes, absolute paths ' +
      "outside `/workspace` and NUL bytes are refused. Web tools reach the network only through the worker's egress proxy. " +
      '`exec` is the one exception, on purpose and opt-in: it runs a command line with `/bin/sh -c` inside its sandbox, ' +
      'and is refused (and not offered) unless the policy sets `tools.exec.enabled`.',
    '',
    'Any MCP client can use these tools through two doors: `worker mcp` serves them on stdio through a local ' +
      "executor (no orchestrator), and `orchestrator serve --mcp-listen 127.0.0.1:PORT` serves the fleet's tools " +
      'over Streamable HTTP. Each tool is listed with its parameters as `inputSchema` (plus `workspace`, the host ' +
      'directory to mount, for the tools that use one), its structured result below as `outputSchema`, and ' +
      'annotations; see "Use from an MCP client" in the README.',
    '',
  ];
  const summary = [['Tool', 'Image', 'CPUs / memory / pids', 'Timeout', 'Network', 'Workspace', 'Version']];
  for (const s of specs) {
    const r = s.resources;
    const mem = r.memoryBytes % MiB === 0 ? `${r.memoryBytes / MiB} MB` : `${r.memoryBytes} B`;
    const network = s.network === 'egress' ? 'egress proxy only' : 'none';
    summary.push([
      `[\`${s.name}\`](#${s.name})`,
      `\`${s.image}\``,
      `${r.cpus} / ${mem} / ${r.pidsLimit}`,
      `${s.timeoutMs / 1000} s`,
      network,
      s.workspace,
      s.version,
    ]);
  }
  out.push(...table(summary));
  for (const s of specs) {
    out.push('', `## ${s.name}`, '', `**${s.displayName}.** ${s.description}`, '');
    const props = Object.entries(s.parameters.properties ?? {});
    if (props.length === 0) {
      out.push('No parameters.');
      continue;
    }
    const required = new Set(s.parameters.required ?? []);
    const rows = [['Parameter', 'Type', 'Required', 'Default', 'Constraints', 'Description']];
    for (const [name, p] of props) {
      const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
      rows.push([
        `\`${name}\``,
        p.type ?? 'any',
        required.has(name) ? 'yes' : 'no',
        def,
        constraints(p),
        cell(p.description ?? ''),
      ]);
    }
    out.push(...table(rows));
    if (s.outputSchema !== undefined) {
      const fields = [['Result field', 'Type', 'Required', 'Description']];
      outputRows(s.outputSchema, '', fields);
      out.push('', 'Structured result (`structured`; MCP `structuredContent`, described by `outputSchema`):', '');
      out.push(...table(fields));
    }
    if (s.fromArgs !== undefined)
      out.push('', 'Also accepts legacy raw `args` (mapped through an allowlist of flags).');
  }
  return `${out.join('\n')}\n`;
}

/** One row per field of an output schema, nested fields by dotted path (`matches[].path`). */
function outputRows(schema: OutputSchema, prefix: string, rows: string[][]): void {
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    const types = field.type === undefined ? ['any'] : typeof field.type === 'string' ? [field.type] : [...field.type];
    const type = types.map((t) =>
      t === 'array' && field.items?.type !== undefined ? `${String(field.items.type)}[]` : t,
    );
    const notes = [
      field.description ?? '',
      field.enum !== undefined ? `One of ${field.enum.map((e) => `\`${String(e)}\``).join(', ')}.` : '',
    ]
      .filter((n) => n !== '')
      .join(' ');
    rows.push([`\`${path}\``, type.join(' or '), required.has(name) ? 'yes' : 'no', cell(notes)]);
    if (field.properties !== undefined) outputRows(field, `${path}.`, rows);
    if (field.items?.properties !== undefined) outputRows(field.items, `${path}[].`, rows);
  }
}

/**
 * A table laid out the way Prettier formats it (every column padded to its widest cell), so formatting
 * the repo never makes the committed file differ from the rendered one.
 */
function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(3, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(rows[0] ?? []), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)];
}

function constraints(p: JsonSchema): string {
  const c: string[] = [];
  if (p.enum !== undefined) c.push(`one of ${p.enum.map((e) => `\`${String(e)}\``).join(', ')}`);
  if (p.minimum !== undefined) c.push(`>= ${p.minimum}`);
  if (p.maximum !== undefined) c.push(`<= ${p.maximum}`);
  if (p.minLength !== undefined) c.push(`min length ${p.minLength}`);
  if (p.maxLength !== undefined) c.push(`max length ${p.maxLength}`);
  if (typeof p['x-max-bytes'] === 'number') c.push(`max ${p['x-max-bytes']} bytes`);
  if (p.format !== undefined) c.push(`format \`${p.format}\``);
  if (p.pattern !== undefined) c.push(`pattern \`${p.pattern}\``);
  if (p.minItems !== undefined) c.push(`min ${p.minItems} items`);
  if (p.maxItems !== undefined) c.push(`max ${p.maxItems} items`);
  if (p.maxProperties !== undefined) c.push(`max ${p.maxProperties} entries`);
  if (p.propertyNames?.pattern !== undefined) c.push(`names \`${p.propertyNames.pattern}\``);
  const inner = typeof p.additionalProperties === 'object' ? p.additionalProperties : p.items;
  if (inner !== undefined && constraints(inner) !== '')
    c.push(`${p.type === 'array' ? 'each item' : 'each value'}: ${constraints(inner)}`);
  return cell(c.join(', '));
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
