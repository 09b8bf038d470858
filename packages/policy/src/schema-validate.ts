import type { PolicyIssue } from './errors';
import { validate as precompiledValidate } from './gen/policy-schema-validator';
import { issuesFromAjv, type SchemaError } from './schema-issues';

export { compilePolicySchema, POLICY_AJV_OPTIONS, type SchemaValidator } from './schema-compile';

/** The generated validator's shape: ajv's `ValidateFunction`, reduced to what is used. */
type PrecompiledValidate = ((value: unknown) => boolean) & { errors?: SchemaError[] | null };

const validatePrecompiled = precompiledValidate as PrecompiledValidate;

/**
 * Every structural problem of a policy document against `policyJsonSchema`. The schema is compiled ahead
 * of time by ajv's standalone code generation (`gen/policy-schema-validator.ts`, committed and checked for
 * drift by `schema-validator-gen.test.ts`): the same code ajv would compile at run time, without loading
 * ajv (about 9 MB of resident memory and the compile's garbage) in every process that loads a policy. The
 * worker builds an enforcer for its default policy at start, so this keeps an idle worker small.
 */
export function validatePolicySchema(value: unknown): PolicyIssue[] {
  return validatePrecompiled(value) ? [] : issuesFromAjv(validatePrecompiled.errors ?? [], value);
}
