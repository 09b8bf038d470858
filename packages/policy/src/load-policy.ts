import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type * as YamlModule from 'yaml';
import { expandEnv } from './env-expand';
import {
  PolicyError,
  PolicyFileNotFoundError,
  PolicyFileUnreadableError,
  PolicyValidationError,
  formatIssue,
  type PolicyIssue,
} from './errors';
import type { Policy } from './model';
import { checkPolicySemantics } from './policy-checks';
import { validatePolicySchema } from './schema-validate';

export type PolicyFormat = 'yaml' | 'json';

export interface ParsePolicyOptions {
  /** @default 'yaml' (YAML is a superset of JSON, but 'json' gives JSON's error messages) */
  format?: PolicyFormat;
  /** Named in errors, e.g. the file path. @default '<inline>' */
  source?: string;
  /** Variables for `${VAR}` / `${VAR:-default}`. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface LoadPolicyFileOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default by extension: `.json` is JSON, anything else YAML */
  format?: PolicyFormat;
}

/**
 * yaml is loaded on first use, not at import: a process on the default policy (or a JSON policy) never
 * parses YAML, and the worker's idle resident memory is budgeted (its 72 modules are ~1 MB of heap).
 */
function loadYaml(): typeof YamlModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  return require('yaml') as typeof YamlModule;
}

function parseText(text: string, format: PolicyFormat): { value?: unknown; issues: PolicyIssue[] } {
  if (format === 'json') {
    try {
      return { value: JSON.parse(text) as unknown, issues: [] };
    } catch (err) {
      return { issues: [{ path: '', message: `invalid JSON: ${(err as Error).message}` }] };
    }
  }
  const doc = loadYaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({ path: '', message: `invalid YAML: ${e.message.split('\n')[0] ?? e.message}` })),
    };
  }
  return { value: doc.toJS() as unknown, issues: [] };
}

/** Parses, expands and validates; returns the policy or every issue found (never just the first). */
export function inspectPolicy(
  text: string,
  options: ParsePolicyOptions = {},
): { policy?: Policy; issues: PolicyIssue[] } {
  const parsed = parseText(text, options.format ?? 'yaml');
  if (parsed.issues.length > 0) return { issues: parsed.issues };
  // An empty file is an empty policy: every field "not set".
  const raw = parsed.value ?? {};
  const envIssues: PolicyIssue[] = [];
  const expanded = expandEnv(raw, options.env ?? process.env, '', envIssues);
  const issues = [...envIssues, ...policyIssues(expanded)];
  return issues.length > 0 ? { issues } : { policy: expanded as Policy, issues: [] };
}

/**
 * Every schema and semantic problem of a policy document (loaded, or built in code), all in one run: the
 * schema's issues first, then the semantic ones (bad CIDRs, min > max...) of the same document.
 */
export function policyIssues(policy: unknown): PolicyIssue[] {
  const structural = validatePolicySchema(policy);
  return [...structural, ...checkPolicySemantics(policy, structural)];
}

/** Parses a policy document; throws `PolicyValidationError` (code `POLICY_INVALID`) listing every problem. */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): Policy {
  const source = options.source ?? '<inline>';
  const { policy, issues } = inspectPolicy(text, options);
  if (!policy) throw new PolicyValidationError(source, issues);
  return policy;
}

function formatFor(file: string, format: PolicyFormat | undefined): PolicyFormat {
  return format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
}

function readPolicyText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PolicyFileNotFoundError(file, { cause: err });
    throw new PolicyFileUnreadableError(file, { cause: err });
  }
}

/**
 * Loads a policy file. A missing file is an error (`POLICY_FILE_NOT_FOUND`):
 * an operator who named a policy must never silently get the default.
 */
export function loadPolicyFile(file: string, options: LoadPolicyFileOptions = {}): Policy {
  const text = readPolicyText(file);
  return parsePolicy(text, { format: formatFor(file, options.format), source: file, env: options.env ?? process.env });
}

/**
 * Every problem with a policy file as `path: message` lines (empty when valid),
 * for `policy check FILE`. File-level problems use the file name as the path.
 */
export function checkPolicyFile(file: string, options: LoadPolicyFileOptions = {}): string[] {
  let text: string;
  try {
    text = readPolicyText(file);
  } catch (err) {
    return [`${file}: ${PolicyError.fromUnknown(err).message}`];
  }
  const { issues } = inspectPolicy(text, {
    format: formatFor(file, options.format),
    source: file,
    env: options.env ?? process.env,
  });
  return issues.map((i) => (i.path ? formatIssue(i) : `${file}: ${i.message}`));
}
