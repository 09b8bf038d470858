/**
 * The catalog as MCP tools (`tools/list`): each tool's parameters as `inputSchema`, plus the `workspace`
 * argument for the tools that mount one, its structured result as `outputSchema`, its title and its
 * annotations (`readOnlyHint`, `destructiveHint`, `openWorldHint` only for the web tools), all derived
 * from the specs by `@baaaht/tool-specs`' `toMcpTools`. Both MCP doors list tools through here.
 */
import { toMcpTools } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import type { Tool } from '@modelcontextprotocol/server';

/** The argument that names the host directory mounted at `/workspace`; no tool has a parameter of that name. */
export const WORKSPACE_ARGUMENT = 'workspace';

/** Prefix of the `_meta` keys this server adds to tools and results (`org.baaaht/result`, ...). */
export const META_PREFIX = 'org.baaaht/';

export interface McpToolListOptions {
  /**
   * The directories a call may mount (`--workspace-root`), named in the `workspace` argument's description.
   * @default [] (no roots: the argument is an absolute path the policy judges)
   */
  workspaceRoots?: readonly string[];
  /** Extra `_meta` per tool (the fleet door's availability). @default none */
  meta?: (tool: string) => Record<string, unknown> | undefined;
}

/** What the `workspace` argument means with these roots. */
export function workspaceDescription(roots: readonly string[]): string {
  const what = 'Host directory mounted at /workspace (absolute, or relative to the workspace root)';
  if (roots.length === 1)
    return `${what}. Default: ${roots[0]}, the only workspace root; a directory below it narrows.`;
  if (roots.length > 1)
    return `${what}. Required: one of the workspace roots ${roots.join(', ')}, or a directory below one.`;
  return "Absolute host directory mounted at /workspace. Required: the server has no workspace root, the worker's policy decides what may be mounted.";
}

/** The MCP `Tool` entries of `specs`, in catalog order. */
export function mcpToolsOf(specs: readonly ToolSpec[], options: McpToolListOptions = {}): Tool[] {
  const roots = options.workspaceRoots ?? [];
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  return toMcpTools(specs).map((exported) => {
    const spec = bySpec.get(exported.name) as ToolSpec;
    const inputSchema = exported.inputSchema as Tool['inputSchema'];
    if (spec.workspace !== 'none') {
      inputSchema.properties = {
        ...inputSchema.properties,
        [WORKSPACE_ARGUMENT]: { type: 'string', minLength: 1, description: workspaceDescription(roots) },
      };
      // With exactly one root the argument defaults to it; without roots, or with several, it must be given.
      if (roots.length !== 1) inputSchema.required = [...(inputSchema.required ?? []), WORKSPACE_ARGUMENT];
    }
    const meta = options.meta?.(exported.name);
    const tool: Tool = {
      name: exported.name,
      title: exported.title ?? spec.displayName,
      description: exported.description,
      inputSchema,
      annotations: exported.annotations ?? {},
    };
    if (exported.outputSchema !== undefined) tool.outputSchema = exported.outputSchema as Tool['outputSchema'];
    if (meta !== undefined) tool._meta = meta;
    return tool;
  });
}

/** Splits a call's arguments into the tool's parameters and the `workspace` argument (for tools that mount one). */
export function splitArguments(
  spec: Pick<ToolSpec, 'workspace'>,
  args: Record<string, unknown> | undefined,
): { params: Record<string, unknown>; workspace: unknown } {
  const { [WORKSPACE_ARGUMENT]: workspace, ...params } = args ?? {};
  // A tool without a workspace keeps the key among its parameters, so the catalog refuses it as unknown.
  if (spec.workspace === 'none') return { params: { ...(args ?? {}) }, workspace: undefined };
  return { params, workspace };
}
