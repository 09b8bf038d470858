/**
 * A finished call (the executor's result or the hub's, both as the CLI's `TaskReport`) as an MCP
 * `CallToolResult`: the tool's output as text content, its structured result as `structuredContent`
 * (only for tools with an `outputSchema`, which it matches), truncation stated in a content block of its
 * own, and every failure as an `isError: true` result carrying the typed code and message (never a
 * protocol error). `_meta` repeats the facts for programs: `org.baaaht/result` and `org.baaaht/error`.
 */
import type { ToolSpec } from '@baaaht/tool-specs';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { errorText, truncationText } from '../task-output';
import type { TaskReport } from '../task-output';
import { META_PREFIX } from './tool-list';

/** `_meta` key of the run's facts: status, exit code, duration, truncation, container, task id. */
export const RESULT_META = `${META_PREFIX}result`;
/** `_meta` key of a failure: `{ code, message, detail? }`. */
export const ERROR_META = `${META_PREFIX}error`;

/**
 * Tools whose stdout is raw material rather than their answer: web_search prints the backend's whole JSON,
 * so its text content is the structured result instead (the same JSON a client reads as structuredContent).
 */
const TEXT_FROM_STRUCTURED: ReadonlySet<string> = new Set(['web_search']);

type Content = CallToolResult['content'];

const textBlock = (text: string): Content[number] => ({ type: 'text', text });

/** The run's facts, for `_meta`. */
function resultFacts(report: TaskReport): Record<string, unknown> {
  const facts: Record<string, unknown> = {
    status: report.status,
    exitCode: report.exitCode,
    durationMs: report.durationMs,
    truncated: report.truncated,
  };
  if (report.stdoutDroppedBytes !== undefined) facts['stdoutDroppedBytes'] = report.stdoutDroppedBytes;
  if (report.stderrDroppedBytes !== undefined) facts['stderrDroppedBytes'] = report.stderrDroppedBytes;
  if (report.containerId) facts['containerId'] = report.containerId.slice(0, 12);
  if (report.taskId !== undefined) facts['taskId'] = report.taskId;
  return facts;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The output blocks: the answer (or `(no output)`), stderr when there is any, and the truncation note. */
function outputBlocks(report: TaskReport, structured: Record<string, unknown> | undefined): Content {
  const blocks: Content = [];
  const main =
    structured !== undefined && TEXT_FROM_STRUCTURED.has(report.tool)
      ? JSON.stringify(structured, null, 2)
      : report.stdout;
  if (main !== '') blocks.push(textBlock(main));
  if (report.stderr !== '') blocks.push(textBlock(`stderr:\n${report.stderr}`));
  const truncation = truncationText(report);
  if (truncation !== undefined)
    blocks.push(textBlock(`[${truncation}: the tool's output was cut at the worker's output cap]`));
  return blocks;
}

/** The MCP result of a finished call of `spec`. */
export function toCallToolResult(report: TaskReport, spec: Pick<ToolSpec, 'outputSchema'> | undefined): CallToolResult {
  const structured = spec?.outputSchema !== undefined && isObject(report.structured) ? report.structured : undefined;
  const meta: Record<string, unknown> = { [RESULT_META]: resultFacts(report) };
  // A client rejects a completed call of a tool with an outputSchema that brings no structuredContent.
  const unstructured = spec?.outputSchema !== undefined && structured === undefined;
  const failed = report.status !== 'completed' || unstructured;
  const content = outputBlocks(report, structured);
  if (failed) {
    const error =
      report.error ??
      (report.status === 'completed'
        ? { code: 'TOOL_FAILED', message: `${report.tool} completed without its structured result` }
        : { code: 'ERROR', message: `${report.tool} ${report.status}` });
    meta[ERROR_META] = { ...error };
    content.unshift(textBlock(errorText(error)));
  } else if (content.length === 0) content.push(textBlock('(no output)'));
  const result: CallToolResult = { content, _meta: meta };
  if (failed) result.isError = true;
  // A failed call keeps a structured result when the tool made one (exec's exit code and signal).
  if (structured !== undefined) result.structuredContent = structured;
  return result;
}

/** A call refused before anything ran (unknown tool, bad workspace, ...): an `isError` result, never a protocol error. */
export function errorResult(code: string, message: string, detail?: string): CallToolResult {
  const error = detail === undefined ? { code, message } : { code, message, detail };
  return { content: [textBlock(errorText(error))], isError: true, _meta: { [ERROR_META]: error } };
}
