import { createToolCatalog } from './tool-catalog';
import type { ToolCallValidation } from './tool-catalog';
import type { ToolSpec } from './types';

/** The built-in tools with no overrides; what the module-level functions use. */
export const defaultCatalog = createToolCatalog();

/** The built-in spec of that name, or throws `ToolSpecError` (`UNKNOWN_TOOL`). */
export function getToolSpec(name: string): ToolSpec {
  return defaultCatalog.get(name);
}

/** The built-in specs: the eight tools, then the opt-in exec. */
export function allToolSpecs(): ToolSpec[] {
  return defaultCatalog.all();
}

/** Validates a model's call against the built-in tools. */
export function validateToolCall(name: string, params: unknown): ToolCallValidation {
  return defaultCatalog.validate(name, params);
}

/** Validates a legacy raw-args call (the seed's `TaskConfig{ToolType, Args}`) against the built-in tools. */
export function validateToolArgs(name: string, args: readonly string[]): ToolCallValidation {
  return defaultCatalog.validateArgs(name, args);
}
