import type { ValidateFunction } from 'ajv';
import type Ajv2020Class from 'ajv/dist/2020';
import type { PolicyIssue } from './errors';
import type { PolicySchemaNode } from './schema';
import { issuesFromAjv } from './schema-issues';

/**
 * Compiling a policy schema with ajv at run time: for the generator of `gen/policy-schema-validator.ts`
 * (`scripts/generate-schema-validator.ts`) and the tests. No production path calls this: processes validate
 * with the precompiled module, and ajv is a devDependency only (not in the published package's dependencies).
 */

/** A compiled schema: every structural problem of a document, as issues. */
export type SchemaValidator = (value: unknown) => PolicyIssue[];

/** The ajv options every policy schema is compiled with (the generator and the tests use the same ones). */
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
 * (`schema-validate.test.ts`).
 */
export function compilePolicySchema(schema: PolicySchemaNode): SchemaValidator {
  const ajv = new (loadAjv2020())(POLICY_AJV_OPTIONS);
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => (validate(value) ? [] : issuesFromAjv(validate.errors ?? [], value));
}

/** Loaded on use only: importing this module (through `schema-validate.ts`) must not load ajv. */
function loadAjv2020(): typeof Ajv2020Class {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  return (require('ajv/dist/2020') as { default: typeof Ajv2020Class }).default;
}
