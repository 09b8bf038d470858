/**
 * How one configuration value is checked and converted, wherever it came from (a flag or env string, or any
 * YAML/JSON value of a config file). The option table itself is `config-schema.ts`.
 */
import { parseDuration } from './durations';
import { parseSize } from './sizes';

export type OptionType =
  | 'string'
  | 'duration'
  | 'size'
  | 'count'
  | 'enum'
  | 'list'
  | 'image-map'
  | 'label-map'
  | 'url'
  | 'address'
  | 'boolean';

/** What `parseOptionValue` needs of an option. */
export interface OptionRule {
  type: OptionType;
  /** For `count`: the smallest value allowed. */
  min?: number;
  choices?: readonly string[];
}

/** A value could not be used; the caller adds the source. */
export class InvalidValue extends Error {
  override name = 'InvalidValue';
}

/**
 * Validates one raw value (a string from a flag or env var, or any YAML/JSON value
 * from a file) for an option and returns it in the config's own units.
 * Throws `InvalidValue` with a message that does not repeat the source.
 */
export function parseOptionValue(option: OptionRule, raw: unknown): unknown {
  switch (option.type) {
    case 'string':
      return nonEmpty(scalarString(raw));
    case 'address':
      return parseAddress(nonEmpty(scalarString(raw)));
    case 'url':
      return parseHttpUrl(nonEmpty(scalarString(raw)));
    case 'duration': {
      const text = scalarString(raw);
      const ms = parseDuration(text);
      if (ms === undefined)
        throw new InvalidValue(`invalid duration ${JSON.stringify(text)} (expected e.g. 30s, 1m30s, 500ms, 2h)`);
      return ms;
    }
    case 'size': {
      const value = typeof raw === 'number' ? raw : scalarString(raw);
      const bytes = parseSize(value);
      if (bytes === undefined)
        throw new InvalidValue(
          `invalid size ${JSON.stringify(value)} (expected bytes, or e.g. 100MB, 100MiB; not negative)`,
        );
      return bytes;
    }
    case 'count': {
      const text = typeof raw === 'number' ? String(raw) : scalarString(raw).trim();
      const min = option.min ?? 0;
      if (!/^-?\d+$/.test(text))
        throw new InvalidValue(`invalid number ${JSON.stringify(text)} (expected an integer >= ${min})`);
      const n = Number(text);
      if (n < min || !Number.isSafeInteger(n))
        throw new InvalidValue(`${text} is out of range (expected an integer >= ${min})`);
      return n;
    }
    case 'enum': {
      const text = scalarString(raw).trim();
      const choices = option.choices ?? [];
      if (!choices.includes(text))
        throw new InvalidValue(`invalid value ${JSON.stringify(text)} (expected one of ${choices.join(', ')})`);
      return text;
    }
    case 'list':
      return listOf(raw).map((item) => nonEmpty(item));
    case 'image-map':
      return parseKeyValueMap(raw, 'TOOL=IMAGE or *=IMAGE');
    case 'label-map':
      return parseLabels(raw);
    case 'boolean':
      return parseBoolean(raw);
  }
}

function scalarString(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new InvalidValue(
    `expected a single value, got ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw}`,
  );
}

function nonEmpty(text: string): string {
  if (text.trim() === '') throw new InvalidValue('must not be empty');
  return text;
}

/** Lists come as YAML/JSON arrays, repeated flags, or comma-separated env values. */
function listOf(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map((item) => scalarString(item));
  return scalarString(raw)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseBoolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = scalarString(raw).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new InvalidValue(`invalid boolean ${JSON.stringify(text)} (expected true or false)`);
}

/** `K=V` entries (a YAML/JSON object, repeated flags or a comma-separated env value) as a map. */
function parseKeyValueMap(raw: unknown, expected: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [key, value] of Object.entries(raw)) out[key] = nonEmpty(scalarString(value));
    return out;
  }
  for (const entry of listOf(raw)) {
    const eq = entry.indexOf('=');
    const key = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim();
    if (eq <= 0 || key === '' || value === '')
      throw new InvalidValue(`invalid ${JSON.stringify(entry)} (expected ${expected})`);
    out[key] = value;
  }
  return out;
}

/** The hub's limits: a key of at most 64 bytes of name characters, a value of at most 256. */
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,62}[A-Za-z0-9])?$/;
const MAX_LABEL_VALUE_BYTES = 256;

function parseLabels(raw: unknown): Record<string, string> {
  const labels = parseKeyValueMap(raw, 'KEY=VALUE');
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_KEY.test(key))
      throw new InvalidValue(
        `invalid label key ${JSON.stringify(key)} (expected at most 64 letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit)`,
      );
    if (Buffer.byteLength(value) > MAX_LABEL_VALUE_BYTES)
      throw new InvalidValue(`label ${key}: value longer than ${MAX_LABEL_VALUE_BYTES} bytes`);
  }
  return labels;
}

function parseAddress(text: string): string {
  const t = text.trim();
  if (/^unix:\/\/\/./.test(t) || /^unix:\/./.test(t)) return t;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t) && !/^(dns|ipv4|ipv6):/i.test(t)) {
    throw new InvalidValue(`invalid address ${JSON.stringify(t)} (expected unix:///path or host:port)`);
  }
  const hostPort = t.replace(/^(dns|ipv4|ipv6):(\/\/\/?)?/i, '');
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+):(\d{1,5})$/i.exec(hostPort);
  if (m === null || Number(m[2]) > 65535)
    throw new InvalidValue(`invalid address ${JSON.stringify(t)} (expected unix:///path or host:port)`);
  return t;
}

function parseHttpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InvalidValue(`invalid URL ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidValue(`invalid URL ${JSON.stringify(text)} (expected http:// or https://)`);
  return text.trim();
}
