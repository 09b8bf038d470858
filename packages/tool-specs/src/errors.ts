import type { FsErrorCode } from './fs-errors';
import type { ParamIssue } from './types';

/**
 * Stable codes of errors thrown by this package. Callers branch on `code`, never on `message`.
 * - `UNKNOWN_TOOL`: no tool of that name in the catalog.
 * - `INVALID_PARAMS`: parameters failed validation (see `issues`).
 * - `INVALID_PATH`: a path escapes the workspace or is malformed (thrown by argv builders as a last line of defence).
 * - `UNSUPPORTED_ARG`: a legacy `args` array used a flag outside the tool's allowlist, or the tool has no `fromArgs`.
 * - `EGRESS_PROXY_REQUIRED`: a web tool was asked to build a command without `ctx.egressProxy`.
 * - `SEARCH_BACKEND_NOT_CONFIGURED`: web_search without `ctx.searchBackendUrl`.
 * - `SEARCH_BAD_RESPONSE`: the search backend did not return the expected JSON.
 * - `SEARCH_RESPONSE_TOO_LARGE`: the search backend's response was cut at web_search's byte cap.
 * - `INVALID_CONTEXT`: the runner's `ToolContext` is unusable (e.g. a relative `workspaceDir`).
 * - `INVALID_SPEC`: `registerTool` rejected a tool spec.
 * - `INVALID_OVERRIDE`: a catalog override or `disabled` entry is malformed or names no tool.
 * - `DUPLICATE_TOOL`: a tool of that name is already registered.
 * - `INTERNAL`: anything else, normalised by `fromUnknown`.
 */
export type ToolSpecErrorCode =
  | 'UNKNOWN_TOOL'
  | 'INVALID_PARAMS'
  | 'INVALID_PATH'
  | 'UNSUPPORTED_ARG'
  | 'EGRESS_PROXY_REQUIRED'
  | 'SEARCH_BACKEND_NOT_CONFIGURED'
  | 'SEARCH_BAD_RESPONSE'
  | 'SEARCH_RESPONSE_TOO_LARGE'
  | 'INVALID_CONTEXT'
  | 'INVALID_SPEC'
  | 'INVALID_OVERRIDE'
  | 'DUPLICATE_TOOL'
  | 'INTERNAL';

/**
 * Codes a multi-step tool reports in `ToolRunOutcome.error` (a tool-level failure the model should see,
 * not an exception), plus the file-system codes of `fsErrorFromStderr`.
 */
export type ToolOutcomeCode =
  | FsErrorCode
  | 'EDIT_NO_MATCH'
  | 'EDIT_AMBIGUOUS'
  | 'EDIT_FILE_TOO_LARGE'
  | 'EDIT_NOT_TEXT'
  | 'EDIT_INVALID'
  | 'FILE_EXISTS'
  | 'READ_FAILED'
  | 'WRITE_FAILED'
  | 'MKDIR_FAILED'
  | 'HARDLINK_REFUSED'
  | 'NONZERO_EXIT'
  | 'KILLED_BY_SIGNAL';

export interface ToolSpecErrorOptions {
  /** The tool concerned, when known. */
  tool?: string;
  /** Parameter problems (for `INVALID_PARAMS`, `INVALID_SPEC`, `INVALID_OVERRIDE`). */
  issues?: readonly ParamIssue[];
  cause?: unknown;
}

/** The one error class this package throws. */
export class ToolSpecError extends Error {
  override name = 'ToolSpecError';
  readonly code: ToolSpecErrorCode;
  readonly tool: string | undefined;
  readonly issues: readonly ParamIssue[];

  constructor(code: ToolSpecErrorCode, message: string, options: ToolSpecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.tool = options.tool;
    this.issues = Object.freeze([...(options.issues ?? [])]);
  }

  /** Normalises anything thrown into a `ToolSpecError` (code `INTERNAL` unless it already is one). */
  static fromUnknown(err: unknown, tool?: string): ToolSpecError {
    if (err instanceof ToolSpecError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ToolSpecError('INTERNAL', message, { tool, cause: err });
  }
}

/** Formats issues as `path: message` lines (the house format for validation errors). */
export function formatIssues(issues: readonly ParamIssue[]): string {
  return issues.map((i) => `${i.path === '' ? '/' : i.path}: ${i.message}`).join('; ');
}
