import type { Violation } from './model';

/** Every error this package throws carries one of these codes; the set is closed so callers can switch on it. */
export type PolicyErrorCode =
  'POLICY_DENIED' | 'POLICY_INVALID' | 'POLICY_FILE_NOT_FOUND' | 'POLICY_FILE_UNREADABLE' | 'POLICY_INTERNAL';

/** One problem found in a policy document: where (`mounts.mount_allowlist[2].mode`) and what was expected. */
export interface PolicyIssue {
  /** Dotted path inside the document; empty for the document itself. */
  path: string;
  message: string;
}

/** Base class: `instanceof PolicyError` catches everything from this package. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  readonly code: PolicyErrorCode;

  constructor(code: PolicyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Normalises anything thrown into a `PolicyError` (keeps it if it already is one). */
  static fromUnknown(err: unknown): PolicyError {
    if (err instanceof PolicyError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new PolicyError('POLICY_INTERNAL', message, { cause: err });
  }
}

/** The container (or egress) request breaks the policy. `violations` says which rules and why. */
export class PolicyDeniedError extends PolicyError {
  override name = 'PolicyDeniedError';
  override readonly code = 'POLICY_DENIED' as const;
  readonly violations: readonly Violation[];
  readonly tool: string | undefined;
  readonly taskId: string | undefined;
  readonly sessionId: string | undefined;

  constructor(
    violations: readonly Violation[],
    context: { tool?: string; taskId?: string; sessionId?: string } = {},
    options?: { cause?: unknown },
  ) {
    const first = violations[0];
    const summary = first ? `${first.rule}: ${first.message}` : 'denied';
    const more = violations.length > 1 ? ` (+${violations.length - 1} more)` : '';
    super('POLICY_DENIED', `policy denied${context.tool ? ` ${context.tool}` : ''}: ${summary}${more}`, options);
    this.violations = violations;
    this.tool = context.tool;
    this.taskId = context.taskId;
    this.sessionId = context.sessionId;
  }
}

/** A policy document does not match the schema; `issues` lists every problem, not just the first. */
export class PolicyValidationError extends PolicyError {
  override name = 'PolicyValidationError';
  override readonly code = 'POLICY_INVALID' as const;
  readonly source: string;
  readonly issues: readonly PolicyIssue[];

  constructor(source: string, issues: readonly PolicyIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  ${formatIssue(i)}`).join('\n');
    super('POLICY_INVALID', `invalid policy ${source}:\n${lines}`, options);
    this.source = source;
    this.issues = issues;
  }
}

/** Base of the file-level errors: which file. */
export class PolicyFileError extends PolicyError {
  override name = 'PolicyFileError';
  readonly file: string;

  constructor(
    code: 'POLICY_FILE_NOT_FOUND' | 'POLICY_FILE_UNREADABLE',
    file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.file = file;
  }
}

/** A policy file given explicitly does not exist: never silently replaced by a default. */
export class PolicyFileNotFoundError extends PolicyFileError {
  override name = 'PolicyFileNotFoundError';

  constructor(file: string, options?: { cause?: unknown }) {
    super('POLICY_FILE_NOT_FOUND', file, `policy file not found: ${file}`, options);
  }
}

/** The file exists but cannot be read (permissions, a directory...). */
export class PolicyFileUnreadableError extends PolicyFileError {
  override name = 'PolicyFileUnreadableError';

  constructor(file: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('POLICY_FILE_UNREADABLE', file, `cannot read policy file ${file}${reason}`, options);
  }
}

/** `path: message`, or just the message for document-level problems. */
export function formatIssue(issue: PolicyIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}
