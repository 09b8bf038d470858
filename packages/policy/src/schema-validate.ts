import type { PolicyIssue } from './errors';
import type { PolicySchemaNode } from './schema';

/** Appends `key` to a dotted path, bracketing indexes: `mounts.mount_allowlist[2].mode`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function typeMatches(expected: NonNullable<PolicySchemaNode['type']>, value: unknown): boolean {
  const actual = typeOf(value);
  return actual === expected || (expected === 'number' && actual === 'integer');
}

const show = (v: unknown): string => JSON.stringify(v);

/** Validates `value` against the subset of JSON Schema `policyJsonSchema` uses; returns every issue. */
export function validateAgainstSchema(schema: PolicySchemaNode, value: unknown, path = ''): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  if (schema.type && !typeMatches(schema.type, value)) {
    issues.push({ path, message: `expected ${schema.type}, got ${typeOf(value)}` });
    return issues;
  }
  if (schema.const !== undefined && value !== schema.const) {
    issues.push({
      path,
      message: `must be ${show(schema.const)}${schema.description ? ` (${schema.description})` : ''}`,
    });
  }
  if (schema.enum && !schema.enum.includes(value as string)) {
    issues.push({ path, message: `expected one of ${schema.enum.join(', ')}, got ${show(value)}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      issues.push({ path, message: `must be >= ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum)
      issues.push({ path, message: `must be <= ${schema.maximum}` });
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      issues.push({ path, message: 'must not be empty' });
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      issues.push({ path, message: `must match ${schema.pattern}, got ${show(value)}` });
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      issues.push(...validateAgainstSchema(schema.items as PolicySchemaNode, item, joinPath(path, i))),
    );
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (obj[key] === undefined) issues.push({ path: joinPath(path, key), message: 'is required' });
    }
    for (const [key, child] of Object.entries(obj)) {
      const childSchema = schema.properties?.[key];
      const childPath = joinPath(path, key);
      if (childSchema) issues.push(...validateAgainstSchema(childSchema, child, childPath));
      else if (schema.additionalProperties === false) {
        const known = Object.keys(schema.properties ?? {}).join(', ');
        issues.push({ path: childPath, message: `unknown key (expected one of: ${known})` });
      } else if (typeof schema.additionalProperties === 'object') {
        issues.push(...validateAgainstSchema(schema.additionalProperties, child, childPath));
      }
    }
  }
  return issues;
}
