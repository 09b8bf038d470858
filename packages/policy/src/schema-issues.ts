import type { PolicyIssue } from './errors';
import type { PolicySchemaNode } from './schema';

/**
 * ajv's errors in the words the policy tooling has always used. Shared by the precompiled validator
 * (`gen/policy-schema-validator.ts`) and the run-time compile the tests use, so both report alike. Nothing
 * here depends on ajv, not even for types: the published package does not depend on it.
 */

/** The fields of an ajv error (`ErrorObject`, compiled with `verbose: true`) that the messages use. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  /** The schema node that holds the failing keyword (verbose mode). */
  parentSchema?: unknown;
  /** The offending value (verbose mode). */
  data?: unknown;
}

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

const show = (v: unknown): string => JSON.stringify(v);

/** `/mounts/mount_allowlist/2/mode` to `mounts.mount_allowlist[2].mode`, bracketing only real array indexes. */
function dottedPath(pointer: string, root: unknown): string {
  let path = '';
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = joinPath(path, Number(segment));
      node = node[Number(segment)];
    } else {
      path = joinPath(path, segment);
      node = (node as Record<string, unknown> | undefined)?.[segment];
    }
  }
  return path;
}

function rangeMessage(schema: PolicySchemaNode, keyword: string, limit: unknown): string {
  if (schema.minimum !== undefined && schema.maximum !== undefined) {
    return `must be ${schema.type === 'integer' ? 'an integer' : 'a number'} from ${schema.minimum} to ${schema.maximum}`;
  }
  return `must be ${keyword === 'minimum' ? '>=' : '<='} ${String(limit)}`;
}

/** One ajv error in the words the policy tooling has always used (tests and operators rely on them). */
function toIssue(e: SchemaError, root: unknown): PolicyIssue {
  const path = dottedPath(e.instancePath, root);
  const schema = (e.parentSchema ?? {}) as PolicySchemaNode;
  const p = e.params;
  switch (e.keyword) {
    case 'type':
      return { path, message: `expected ${String(p['type'])}, got ${typeOf(e.data)}` };
    case 'const':
      return {
        path,
        message: `must be ${show(p['allowedValue'])}${schema.description ? ` (${schema.description})` : ''}`,
      };
    case 'enum':
      return { path, message: `expected one of ${(schema.enum ?? []).join(', ')}, got ${show(e.data)}` };
    case 'minimum':
    case 'maximum':
      return { path, message: rangeMessage(schema, e.keyword, p['limit']) };
    case 'minLength':
      return {
        path,
        message: p['limit'] === 1 ? 'must not be empty' : `must be at least ${String(p['limit'])} characters`,
      };
    case 'pattern':
      return { path, message: `must match ${String(p['pattern'])}, got ${show(e.data)}` };
    case 'required':
      return { path: joinPath(path, String(p['missingProperty'])), message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys(schema.properties ?? {}).join(', ');
      return {
        path: joinPath(path, String(p['additionalProperty'])),
        message: `unknown key (expected one of: ${known})`,
      };
    }
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

/**
 * Maps ajv's errors to issues. A value of the wrong type gets only the type error: "expected string, got
 * integer" says it all, and `enum`/`const` (which ajv also checks on the wrong type) would only repeat it.
 */
export function issuesFromAjv(errors: readonly SchemaError[], root: unknown): PolicyIssue[] {
  const mistyped = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'type' || !mistyped.has(e.instancePath)).map((e) => toIssue(e, root));
}
