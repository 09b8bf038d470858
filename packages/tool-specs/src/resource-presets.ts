import type { JsonSchema, ToolResources, ToolSpec } from './types';

const MiB = 1024 * 1024;

/** Baseline limits from the Go worker: small file tools. */
export const FILE_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 0.1, memoryBytes: 64 * MiB, pidsLimit: 10 });
/** grep and find walk trees, so they get more CPU, memory and processes. */
export const SEARCH_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 0.2, memoryBytes: 128 * MiB, pidsLimit: 20 });
/** curl-based tools. */
export const WEB_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 0.2, memoryBytes: 128 * MiB, pidsLimit: 10 });

export const ALPINE_IMAGE = 'alpine:3.19';
export const CURL_IMAGE = 'curlimages/curl:8.6.0';

/** How a class of tools runs: image, mount, network, limits and timeout (the table, one row per class). */
export type ToolRuntime = Pick<
  ToolSpec,
  'image' | 'workspace' | 'network' | 'readOnlyRootfs' | 'resources' | 'timeoutMs'
>;

const fileTool = {
  image: ALPINE_IMAGE,
  network: 'none',
  readOnlyRootfs: true,
  resources: FILE_TOOL_RESOURCES,
  timeoutMs: 30_000,
} as const;
export const READONLY_FILE_RUNTIME: ToolRuntime = { ...fileTool, workspace: 'readonly' };
export const READWRITE_FILE_RUNTIME: ToolRuntime = { ...fileTool, workspace: 'readwrite' };
export const SEARCH_RUNTIME: ToolRuntime = {
  ...fileTool,
  workspace: 'readonly',
  resources: SEARCH_TOOL_RESOURCES,
  timeoutMs: 60_000,
};
/** Web tools: no workspace, network only through the worker's egress proxy. */
export const WEB_RUNTIME: ToolRuntime = {
  image: CURL_IMAGE,
  workspace: 'none',
  network: 'egress',
  readOnlyRootfs: true,
  resources: WEB_TOOL_RESOURCES,
  timeoutMs: 30_000,
};

/** The schema of a workspace path parameter; `'.'` (the workspace root) is the default when `optional`. */
export function workspacePathParam(description: string, optional = false): JsonSchema {
  return { type: 'string', format: 'workspace-path', ...(optional ? { default: '.' } : {}), description };
}

/** exec runs builds and tests, so it gets a core, more memory and more processes than the file tools. */
export const EXEC_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 1, memoryBytes: 512 * MiB, pidsLimit: 64 });
/** exec (opt-in): the workspace read-write, no network unless the policy grants egress. */
export const EXEC_RUNTIME: ToolRuntime = {
  image: ALPINE_IMAGE,
  workspace: 'readwrite',
  network: 'none',
  readOnlyRootfs: true,
  resources: EXEC_TOOL_RESOURCES,
  timeoutMs: 60_000,
};
