import type { ToolResources } from './types';

const MiB = 1024 * 1024;

/** Baseline limits from the Go worker: small file tools. */
export const FILE_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 0.1, memoryBytes: 64 * MiB, pidsLimit: 10 });
/** grep and find walk trees, so they get more CPU, memory and processes. */
export const SEARCH_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 0.2, memoryBytes: 128 * MiB, pidsLimit: 20 });
/** curl-based tools. */
export const WEB_TOOL_RESOURCES: ToolResources = Object.freeze({ cpus: 0.2, memoryBytes: 128 * MiB, pidsLimit: 10 });

export const ALPINE_IMAGE = 'alpine:3.19';
export const CURL_IMAGE = 'curlimages/curl:8.6.0';
