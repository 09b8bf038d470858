import type { JsonSchema } from '@baaaht/tool-specs';
import { usageError } from './errors';

/**
 * Builds a tool's parameters from `--param key=value` (strings, coerced to the
 * schema's type) and `--param-json key=JSON` flags. Only the shape is checked
 * here; the catalog validates the result against the full schema.
 */
export function buildToolParams(
  schema: JsonSchema,
  params: readonly string[],
  paramJson: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of params) {
    const [key, value] = splitPair(entry, '--param');
    const property = schema.properties?.[key];
    const coerced = coerce(value, property, `--param ${key}`);
    if (property?.type === 'array')
      out[key] = [...((out[key] as unknown[] | undefined) ?? []), ...(coerced as unknown[])];
    else out[key] = coerced;
  }
  for (const entry of paramJson) {
    const [key, text] = splitPair(entry, '--param-json');
    try {
      out[key] = JSON.parse(text) as unknown;
    } catch (err) {
      throw usageError(`invalid JSON for ${JSON.stringify(key)}: ${(err as Error).message}`, '--param-json');
    }
  }
  return out;
}

/**
 * `--command STR` and `--argv WORD` (repeated, in order): exec's `command` and `argv` parameters without
 * `--param`'s `key=value` or `--param-json`'s JSON quoting. Only for exec, only one of the two, and not with
 * a `--param`/`--param-json` that gives the command too: each is a usage error (exit 2) naming the flag.
 */
export function applyExecShortcut(
  tool: string,
  params: Record<string, unknown>,
  command: string | undefined,
  argv: readonly string[],
): void {
  if (command === undefined && argv.length === 0) return;
  const flag = command !== undefined ? '--command' : '--argv';
  if (tool !== 'exec') throw usageError(`only for the exec tool (${tool} takes --param)`, flag);
  if (command !== undefined && argv.length > 0)
    throw usageError('not with --argv: give a shell command line or argv words, not both', flag);
  const given = ['command', 'argv'].find((key) => key in params);
  if (given !== undefined) throw usageError(`not with --param ${given}: give the command once`, flag);
  if (command !== undefined) params['command'] = command;
  else params['argv'] = [...argv];
}

function splitPair(entry: string, flag: string): [string, string] {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw usageError(`expected key=value, got ${JSON.stringify(entry)}`, flag);
  return [entry.slice(0, eq), entry.slice(eq + 1)];
}

function coerce(value: string, schema: JsonSchema | undefined, source: string): unknown {
  switch (schema?.type) {
    case 'integer':
      if (!/^-?\d+$/.test(value.trim())) throw usageError(`expected an integer, got ${JSON.stringify(value)}`, source);
      return Number(value);
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n))
        throw usageError(`expected a number, got ${JSON.stringify(value)}`, source);
      return n;
    }
    case 'boolean': {
      const v = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw usageError(`expected true or false, got ${JSON.stringify(value)}`, source);
    }
    case 'array':
      // Repeating the flag appends; the item type decides the coercion.
      return [coerce(value, schema.items, source)];
    default:
      return value;
  }
}
