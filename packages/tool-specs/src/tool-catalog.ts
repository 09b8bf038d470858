import { BUILTIN_TOOLS } from './builtin-tools';
import { formatIssues, ToolSpecError } from './errors';
import { validateAgainstSchema } from './schema-validator';
import { checkToolSpec } from './spec-checks';
import type { ParamIssue, ToolResources, ToolSpec } from './types';

/** Default limit on one call's serialised parameters when the spec sets none. */
export const DEFAULT_MAX_PARAMS_BYTES = 1024 * 1024;

/** Operator changes to one tool; everything else about the tool stays as shipped. */
export interface ToolOverride {
  /** Image to run instead of the default (e.g. a pinned digest or a mirror). */
  image?: string;
  /** Replaces the named limits only. */
  resources?: Partial<ToolResources>;
  /** Whole-task timeout in milliseconds. */
  timeoutMs?: number;
}

export interface ToolCatalogOptions {
  /**
   * Per-tool overrides, keyed by tool name. Naming a tool that is not in the catalog is an error
   * (`INVALID_OVERRIDE`), so a typo cannot silently leave the defaults in place.
   * @default {}
   */
  overrides?: Readonly<Record<string, ToolOverride>>;
  /**
   * Tools to leave out (they become `UNKNOWN_TOOL`). Unknown names are an error (`INVALID_OVERRIDE`).
   * @default []
   */
  disabled?: readonly string[];
  /**
   * Extra tools, registered with `registerTool` after overrides and `disabled` are applied.
   * @default []
   */
  custom?: readonly ToolSpec<any>[];
  /**
   * The tools to start from.
   * @default the eight built-in tools
   */
  tools?: readonly ToolSpec<any>[];
}

/** Why a tool call was refused. */
export type ToolCallErrorCode = 'UNKNOWN_TOOL' | 'INVALID_PARAMS' | 'PARAMS_TOO_LARGE' | 'UNSUPPORTED_ARG';

/** One reason a tool call was refused, at a JSON Pointer into the parameters (`''` for the call as a whole). */
export interface ToolCallError extends ParamIssue {
  code: ToolCallErrorCode;
}

export type ToolCallValidation<P = Record<string, unknown>> =
  | { ok: true; tool: string; params: P }
  | {
      ok: false;
      tool: string;
      errors: ToolCallError[];
      /** The same problems as one throwable error (code `UNKNOWN_TOOL`, `INVALID_PARAMS` or `UNSUPPORTED_ARG`). */
      error: ToolSpecError;
    };

/** A set of tools: look up, list, validate, extend. */
export interface ToolCatalog {
  /** The spec, or throws `ToolSpecError` with code `UNKNOWN_TOOL`. */
  get(name: string): ToolSpec;
  has(name: string): boolean;
  /** All specs in registration order. */
  all(): ToolSpec[];
  /** Validates a model's call: unknown tool, schema, size and tool-specific checks; defaults applied and paths normalised. */
  validate(name: string, params: unknown): ToolCallValidation;
  /** Maps legacy raw `args` through the tool's allowlist (`fromArgs`), then validates like `validate`. */
  validateArgs(name: string, args: readonly string[]): ToolCallValidation;
  /** Adds a tool after checking its spec (`INVALID_SPEC`, `DUPLICATE_TOOL`). */
  registerTool(spec: ToolSpec<any>): void;
}

/** Builds a catalog from the built-in tools plus operator overrides, without forking any spec. */
export function createToolCatalog(options: ToolCatalogOptions = {}): ToolCatalog {
  const specs = new Map<string, ToolSpec>();
  for (const spec of options.tools ?? BUILTIN_TOOLS) specs.set(spec.name, spec as ToolSpec);

  for (const [name, override] of Object.entries(options.overrides ?? {})) {
    const base = specs.get(name);
    if (base === undefined)
      throw new ToolSpecError('INVALID_OVERRIDE', `override names unknown tool '${name}'`, { tool: name });
    specs.set(name, applyOverride(base, override));
  }
  for (const name of options.disabled ?? []) {
    if (!specs.delete(name))
      throw new ToolSpecError('INVALID_OVERRIDE', `disabled names unknown tool '${name}'`, { tool: name });
  }

  const get = (name: string): ToolSpec => {
    const spec = specs.get(name);
    if (spec === undefined) throw unknownTool(name, [...specs.keys()]);
    return spec;
  };

  const validate = (name: string, params: unknown): ToolCallValidation => {
    const spec = specs.get(name);
    if (spec === undefined)
      return refused(name, 'UNKNOWN_TOOL', [{ path: '', message: unknownTool(name, [...specs.keys()]).message }]);
    const limit = spec.maxParamsBytes ?? DEFAULT_MAX_PARAMS_BYTES;
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(params) ?? '', 'utf8');
    } catch {
      return refused(name, 'INVALID_PARAMS', [{ path: '', message: 'parameters must be JSON-serialisable' }]);
    }
    if (size > limit) {
      return refused(name, 'PARAMS_TOO_LARGE', [
        { path: '', message: `parameters are ${size} bytes as JSON; the limit for ${name} is ${limit}` },
      ]);
    }
    const checked = validateAgainstSchema(spec.parameters, params);
    if (checked.issues.length > 0) return refused(name, 'INVALID_PARAMS', checked.issues);
    const value = checked.value as Record<string, unknown>;
    const extra = spec.validateParams?.(value) ?? [];
    if (extra.length > 0) return refused(name, 'INVALID_PARAMS', extra);
    return { ok: true, tool: name, params: value };
  };

  const catalog: ToolCatalog = {
    get,
    has: (name) => specs.has(name),
    all: () => [...specs.values()],
    validate,
    validateArgs(name, args) {
      const spec = specs.get(name);
      if (spec === undefined) return validate(name, {});
      if (spec.fromArgs === undefined) {
        return refused(name, 'UNSUPPORTED_ARG', [
          { path: '', message: `${name} does not accept legacy args; send parameters` },
        ]);
      }
      let params: Record<string, unknown>;
      try {
        params = spec.fromArgs(args);
      } catch (err) {
        const e = ToolSpecError.fromUnknown(err, name);
        return refused(name, e.code === 'UNSUPPORTED_ARG' ? 'UNSUPPORTED_ARG' : 'INVALID_PARAMS', [
          { path: '', message: e.message },
        ]);
      }
      return validate(name, params);
    },
    registerTool(spec) {
      const issues = checkToolSpec(spec as ToolSpec);
      if (issues.length > 0) {
        throw new ToolSpecError('INVALID_SPEC', `invalid tool spec '${String(spec?.name)}': ${formatIssues(issues)}`, {
          tool: spec?.name,
          issues,
        });
      }
      if (specs.has(spec.name))
        throw new ToolSpecError('DUPLICATE_TOOL', `a tool named '${spec.name}' is already registered`, {
          tool: spec.name,
        });
      specs.set(spec.name, Object.freeze({ ...spec }) as ToolSpec);
    },
  };
  for (const spec of options.custom ?? []) catalog.registerTool(spec);
  return catalog;
}

function applyOverride(base: ToolSpec, override: ToolOverride): ToolSpec {
  const spec: ToolSpec = {
    ...base,
    image: override.image ?? base.image,
    resources: Object.freeze({ ...base.resources, ...override.resources }),
    timeoutMs: override.timeoutMs ?? base.timeoutMs,
  };
  const issues = checkToolSpec(spec);
  if (issues.length > 0) {
    throw new ToolSpecError('INVALID_OVERRIDE', `override for '${base.name}': ${formatIssues(issues)}`, {
      tool: base.name,
      issues,
    });
  }
  return Object.freeze(spec);
}

function unknownTool(name: string, known: string[]): ToolSpecError {
  return new ToolSpecError('UNKNOWN_TOOL', `unknown tool '${name}' (available: ${known.join(', ')})`, { tool: name });
}

function refused(tool: string, code: ToolCallErrorCode, issues: ParamIssue[]): ToolCallValidation {
  const errorCode = code === 'PARAMS_TOO_LARGE' ? 'INVALID_PARAMS' : code;
  return {
    ok: false,
    tool,
    errors: issues.map((i) => ({ code, path: i.path, message: i.message })),
    error: new ToolSpecError(errorCode, `${tool}: ${formatIssues(issues)}`, { tool, issues }),
  };
}
