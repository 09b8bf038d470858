import fs from 'node:fs';
import path from 'node:path';
import type { ParsedCommand } from './args';
import { listValue, stringValue } from './args';
import { parseDuration } from './durations';
import { WorkerCliError, usageError } from './errors';
import { workerCatalog } from './tool-catalog';
import { applyExecShortcut, buildToolParams } from './tool-params';

/** One tool call as `worker run` and `orchestrator exec` build it from their flags. */
export interface PreparedToolCall {
  tool: string;
  params: Record<string, unknown>;
  /** Absolute, symlink-free host directory, when `--mount` was given. */
  mountSource: string | undefined;
  timeoutMs: number | undefined;
  /** Per-tool image overrides in force. */
  images: Record<string, string>;
  /**
   * Whether the tool's live output is its output. Multi-step tools (file_edit: read, then write) run
   * several commands whose intermediate output is not the result, so only their final result is shown.
   */
  streamable: boolean;
}

/** The flags both commands share. */
export const TOOL_CALL_FLAGS = {
  mount: { type: 'string', valueName: 'DIR', description: 'host directory mounted at /workspace (file tools)' },
  param: {
    type: 'string',
    multiple: true,
    valueName: 'KEY=VALUE',
    description: "a tool parameter, coerced to the schema's type",
  },
  'param-json': { type: 'string', multiple: true, valueName: 'KEY=JSON', description: 'a tool parameter as JSON' },
  command: {
    type: 'string',
    valueName: 'STR',
    description: "exec only: the command line /bin/sh -c runs inside the sandbox (exec's command parameter)",
  },
  argv: {
    type: 'string',
    multiple: true,
    valueName: 'WORD',
    description:
      "exec only: one word of a program and its arguments, run with no shell (exec's argv parameter; a word starting with - as --argv=-l)",
  },
  timeout: { type: 'string', valueName: 'DURATION', description: "whole-task timeout (default: the tool's)" },
  json: {
    type: 'boolean',
    description:
      'print one JSON object {tool, status, exitCode, stdout, stderr, truncated, durationMs, containerId, error}',
  },
} as const;

/**
 * Validates a tool call built from flags against the catalog: unknown tool
 * (`UNKNOWN_TOOL`), malformed or invalid parameters (`USAGE` / `INVALID_PARAMS`),
 * bad `--timeout` or `--mount`. Every failure exits 2.
 */
export function prepareToolCall(
  parsed: ParsedCommand,
  toolImages: Readonly<Record<string, string>>,
  toolImagesSource: string,
): PreparedToolCall {
  const tool = parsed.positionals[0] as string;
  const { catalog, images } = workerCatalog(toolImages, toolImagesSource);
  if (!catalog.has(tool)) {
    throw new WorkerCliError(
      'UNKNOWN_TOOL',
      `unknown tool ${JSON.stringify(tool)} (tools: ${catalog
        .all()
        .map((s) => s.name)
        .join(', ')})`,
      { tool },
    );
  }
  const spec = catalog.get(tool);
  const params = buildToolParams(
    spec.parameters,
    listValue(parsed.values, 'param'),
    listValue(parsed.values, 'param-json'),
  );
  applyExecShortcut(tool, params, stringValue(parsed.values, 'command'), listValue(parsed.values, 'argv'));
  const checked = catalog.validate(tool, params);
  if (!checked.ok) {
    const problems = checked.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    throw new WorkerCliError('INVALID_PARAMS', `invalid parameters for ${tool}: ${problems}`, { tool });
  }
  const timeoutText = stringValue(parsed.values, 'timeout');
  let timeoutMs: number | undefined;
  if (timeoutText !== undefined) {
    timeoutMs = parseDuration(timeoutText);
    if (timeoutMs === undefined || timeoutMs === 0)
      throw usageError(
        `invalid duration ${JSON.stringify(timeoutText)} (expected e.g. 30s, 1m30s, 500ms)`,
        '--timeout',
      );
  }
  const mount = stringValue(parsed.values, 'mount');
  let mountSource: string | undefined;
  if (mount !== undefined) {
    const abs = path.resolve(mount);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory())
      throw usageError(`${mount} is not a directory`, '--mount');
    mountSource = fs.realpathSync(abs);
  } else if (spec.workspace !== 'none') {
    throw usageError(`${tool} works on a workspace: give --mount DIR`);
  }
  return { tool, params: checked.params, mountSource, timeoutMs, images, streamable: spec.run === undefined };
}

/** The call as a task request (the executor's and the hub's share these fields): absent values left out. */
export function toolCallRequest(call: PreparedToolCall): {
  tool: string;
  params: Record<string, unknown>;
  mountSource?: string;
  timeoutMs?: number;
} {
  return {
    tool: call.tool,
    params: call.params,
    ...(call.mountSource !== undefined ? { mountSource: call.mountSource } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
  };
}
