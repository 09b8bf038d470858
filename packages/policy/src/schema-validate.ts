import type { ErrorObject, ValidateFunction } from 'ajv';
import type Ajv2020Class from 'ajv/dist/2020';
import type { PolicyIssue } from './errors';
import { policyJsonSchema, type PolicySchemaNode } from './schema';

/** Appends `key` to a dotted path, bracketing indexes: `mounts.mount_allowlist[2].mode`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** A compiled schema: every structural problem of a document, as issues. */
export type SchemaValidator = (value: unknown) => PolicyIssue[];

/** The ajv options every policy schema is compiled with (the tests check the schema with the same ones). */
export const POLICY_AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  verbose: true,
  validateSchema: false,
} as const;

/**
 * Compiles a policy JSON Schema with ajv. `strict: true` makes a keyword ajv does not know (a typo in OUR
 * schema) a compile error, so it fails the tests instead of being silently ignored; `allErrors: true` reports
 * every problem in one run; `verbose: true` gives each error the offending value and its schema node, which
 * the messages quote. Checking the schema against the 2020-12 meta-schema is left to the tests
 * (`schema-validate.test.ts`): it would triple the compile time of every process that loads a policy.
 */
export function compilePolicySchema(schema: PolicySchemaNode): SchemaValidator {
  const ajv = new (loadAjv2020())(POLICY_AJV_OPTIONS);
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => (validate(value) ? [] : issuesFromAjv(validate.errors ?? [], value));
}

let policyValidator: SchemaValidator | undefined;

/**
 * ajv is loaded on first use, not at import: it costs about 9 MB of resident memory, and a process that
 * never validates a policy file (a worker on the default policy) should not pay for it.
 */
function loadAjv2020(): typeof Ajv2020Class {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  return (require('ajv/dist/2020') as { default: typeof Ajv2020Class }).default;
}

/** Every structural problem of a policy document against `policyJsonSchema` (compiled once, on first use). */
export function validatePolicySchema(value: unknown): PolicyIssue[] {
  policyValidator ??= compilePolicySchema(policyJsonSchema);
  return policyValidator(value);
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
function toIssue(e: ErrorObject, root: unknown): PolicyIssue {
  const path = dottedPath(e.instancePath, root);
  const schema = (e.parentSchema ?? {}) as PolicySchemaNode;
  const p = e.params as Record<string, unknown>;
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
function issuesFromAjv(errors: readonly ErrorObject[], root: unknown): PolicyIssue[] {
  const mistyped = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'type' || !mistyped.has(e.instancePath)).map((e) => toIssue(e, root));
}
