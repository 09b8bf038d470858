import { checkWorkspacePath } from './workspace-path';
import type { JsonSchema, ParamIssue } from './types';

/**
 * A validator for the JSON Schema subset in `types.ts`, written here rather than pulling in ajv so that
 * messages are short and name the parameter, and so that our own keywords work:
 * - `format: 'workspace-path'`: a path inside the workspace; the value is replaced by its normalised relative form.
 * - `x-argv: true`: the string ends up in an argv element, so NUL bytes are refused.
 * - `x-max-bytes: n`: limit on the UTF-8 size (maxLength counts characters).
 * Objects may be maps: `additionalProperties` as a schema (each value), `propertyNames` (each key), `maxProperties`.
 * `null` for an optional property means "absent" (OpenAI strict mode sends nulls for omitted optionals).
 * Stricter than JSON Schema on purpose: every string must be valid Unicode (no lone surrogate), and an
 * `integer` must be a safe integer (2^53 would not survive the trip to an argv element).
 * `schema-validator-oracle.test.ts` checks it against ajv, with these extensions given to ajv as keywords.
 */
export function validateAgainstSchema(
  schema: JsonSchema,
  value: unknown,
  path = '',
): { value: unknown; issues: ParamIssue[] } {
  const issues: ParamIssue[] = [];
  const out = check(schema, value, path, issues);
  return { value: out, issues };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function check(schema: JsonSchema, value: unknown, path: string, issues: ParamIssue[]): unknown {
  const add = (message: string): undefined => {
    issues.push({ path, message });
    return undefined;
  };
  if (schema.type !== undefined && !hasType(value, schema.type)) {
    return add(`must be ${article(schema.type)} (got ${describe(value)})`);
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string | number | boolean)) {
    return add(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'string') return checkString(schema, value, add);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return add(`must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) return add(`must be <= ${schema.maximum}`);
    return value;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      return add(`must have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return add(`must have at most ${schema.maxItems} items`);
    return schema.items === undefined
      ? value
      : value.map((v, i) => check(schema.items as JsonSchema, v, `${path}/${i}`, issues));
  }
  if (isPlainObject(value)) return checkObject(schema, value, path, issues);
  return value;
}

function checkString(schema: JsonSchema, value: string, add: (m: string) => undefined): unknown {
  if (LONE_SURROGATE.test(value)) return add('must be valid Unicode (contains a lone surrogate)');
  if (schema['x-argv'] === true && value.includes('\0')) return add('must not contain NUL bytes');
  const maxBytes = schema['x-max-bytes'];
  if (typeof maxBytes === 'number' && Buffer.byteLength(value, 'utf8') > maxBytes) {
    return add(`must be at most ${maxBytes} bytes (UTF-8)`);
  }
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    const chars = codePointLength(value);
    if (schema.minLength !== undefined && chars < schema.minLength) {
      return add(schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`);
    }
    if (schema.maxLength !== undefined && chars > schema.maxLength)
      return add(`must be at most ${schema.maxLength} characters`);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    return add(`must match /${schema.pattern}/`);
  }
  if (schema.format === 'workspace-path') {
    const checked = checkWorkspacePath(value);
    return checked.ok ? checked.relative : add(checked.message);
  }
  return value;
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string, issues: ParamIssue[]): unknown {
  const props = schema.properties ?? {};
  // Own properties only: `constructor` or `__proto__` in a call is not a parameter because `{}` inherits it.
  const known = (key: string): boolean => Object.prototype.hasOwnProperty.call(props, key);
  const required = new Set(schema.required ?? []);
  const out: Record<string, unknown> = {};
  // `null` for an optional property is "absent": it does not count as a property.
  const keys = Object.keys(value).filter(
    (key) => !(known(key) && value[key] === null && !required.has(key) && props[key]?.type !== 'null'),
  );
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
    issues.push({ path, message: `must have at most ${schema.maxProperties} entries` });
  if (schema.propertyNames !== undefined) {
    for (const key of keys) {
      const named = validateAgainstSchema(schema.propertyNames, key, `${path}/${escapePointer(key)}`);
      for (const issue of named.issues) issues.push({ ...issue, message: `name ${issue.message}` });
    }
  }
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const key of Object.keys(value)) {
    if (!known(key) && schema.additionalProperties === false) {
      issues.push({
        path: `${path}/${escapePointer(key)}`,
        message: `unknown parameter '${key}' (allowed: ${Object.keys(props).join(', ') || 'none'})`,
      });
    }
  }
  for (const key of required) {
    if (!known(key) && !isPresent(value, key))
      issues.push({ path: `${path}/${escapePointer(key)}`, message: 'is required' });
  }
  for (const [key, sub] of Object.entries(props)) {
    const childPath = `${path}/${escapePointer(key)}`;
    const present = isPresent(value, key);
    if (!present || (value[key] === null && !required.has(key) && sub.type !== 'null')) {
      if (required.has(key)) issues.push({ path: childPath, message: 'is required' });
      else if (sub.default !== undefined) setOwn(out, key, structuredClone(sub.default));
      continue;
    }
    setOwn(out, key, check(sub, value[key], childPath, issues));
  }
  if (schema.additionalProperties !== false) {
    for (const key of Object.keys(value)) {
      if (known(key)) continue;
      setOwn(
        out,
        key,
        extra === undefined ? value[key] : check(extra, value[key], `${path}/${escapePointer(key)}`, issues),
      );
    }
  }
  return out;
}

function isPresent(value: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key) && value[key] !== undefined;
}

/** `out[key] = v`, except that a key `__proto__` stays a key instead of replacing the object's prototype. */
function setOwn(out: Record<string, unknown>, key: string, v: unknown): void {
  Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function hasType(value: unknown, type: NonNullable<JsonSchema['type']>): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  return typeof value;
}

function article(type: string): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}

/** Characters as JSON Schema counts them (code points), without spreading a 16 MB string into an array. */
function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
