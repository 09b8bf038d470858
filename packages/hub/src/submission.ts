import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { TaskAssignment } from '@baaaht/proto';
import { invalidField } from './errors';
import { HubError } from './errors';

/** What a submitter asks the hub to run. */
export interface SubmitTaskInput {
  /** Idempotency key; the hub picks a UUID when absent. */
  taskId?: string;
  sessionId?: string;
  tool: string;
  params?: Record<string, unknown>;
  args?: string[];
  /** Absolute host directory mounted at /workspace. */
  mountSource?: string;
  timeoutMs?: number;
  limits?: { nanoCpus?: number; memoryBytes?: number; pidsLimit?: number };
  labels?: Record<string, string>;
  /** Only workers whose labels match all of these get the task. */
  selector?: Record<string, string>;
  /**
   * The submitter's trace, as text-map headers (W3C `traceparent`, `tracestate`): the hub's submit span
   * becomes its child, and the worker continues it. @default the active OpenTelemetry context (`hub.submit`,
   * and `createHubClient().submit`, which sends it in the task); a SubmitTask call from elsewhere without one
   * falls back to its `traceparent`/`tracestate` metadata
   */
  traceContext?: Record<string, string>;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TOOL = /^[a-z][a-z0-9_.-]{0,63}$/;

function stringMap(field: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidField(field, 'must be an object of strings');
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidField(`${field}.${k}`, 'must be a string');
  }
  return { ...(value as Record<string, string>) };
}

function nonNegativeInt(field: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidField(field, 'must be a non-negative integer');
  }
  return value;
}

/**
 * Validates a submission and turns it into the assignment workers receive.
 * Errors are INVALID_ARGUMENT (UNKNOWN_TOOL for a tool outside `knownTools`)
 * with a message that starts with the offending field.
 */
export function toAssignment(
  input: SubmitTaskInput,
  knownTools: readonly string[] | undefined,
): { assignment: TaskAssignment; selector: Record<string, string> } {
  if (typeof input !== 'object' || input === null) throw invalidField('task', 'is required');
  const taskId = input.taskId === undefined || input.taskId === '' ? randomUUID() : input.taskId;
  if (typeof taskId !== 'string' || !TASK_ID.test(taskId)) {
    throw invalidField('taskId', 'must be 1-128 characters of [A-Za-z0-9._:-]');
  }
  if (typeof input.tool !== 'string' || input.tool === '') throw invalidField('tool', 'is required', { taskId });
  if (!TOOL.test(input.tool)) throw invalidField('tool', `is not a valid tool name: ${input.tool}`, { taskId });
  if (knownTools && !knownTools.includes(input.tool)) {
    throw new HubError('UNKNOWN_TOOL', `tool: unknown tool ${input.tool}`, { taskId, tool: input.tool, field: 'tool' });
  }
  if (
    input.params !== undefined &&
    (typeof input.params !== 'object' || input.params === null || Array.isArray(input.params))
  ) {
    throw invalidField('params', 'must be an object', { taskId });
  }
  if (input.args !== undefined && (!Array.isArray(input.args) || input.args.some((a) => typeof a !== 'string'))) {
    throw invalidField('args', 'must be an array of strings', { taskId });
  }
  const mountSource = input.mountSource ?? '';
  if (typeof mountSource !== 'string' || (mountSource !== '' && !isAbsolute(mountSource))) {
    throw invalidField('mountSource', 'must be an absolute path', { taskId });
  }
  const limits = input.limits ?? {};
  const assignment = TaskAssignment.fromPartial({
    taskId,
    sessionId: typeof input.sessionId === 'string' ? input.sessionId : '',
    tool: input.tool,
    params: input.params,
    args: input.args ?? [],
    mountSource,
    timeoutMs: nonNegativeInt('timeoutMs', input.timeoutMs),
    limits: {
      nanoCpus: nonNegativeInt('limits.nanoCpus', limits.nanoCpus),
      memoryBytes: nonNegativeInt('limits.memoryBytes', limits.memoryBytes),
      memorySwap: 0,
      pidsLimit: nonNegativeInt('limits.pidsLimit', limits.pidsLimit),
    },
    labels: stringMap('labels', input.labels),
    traceContext: stringMap('traceContext', input.traceContext),
  });
  return { assignment, selector: stringMap('selector', input.selector) };
}

const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;

/** The trace-context headers of a call's metadata (what a traced gRPC client sends), if any. */
export function traceHeaders(metadata: { get(key: string): Array<string | Buffer> }): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const key of TRACE_HEADERS) {
    const value = metadata.get(key)[0];
    if (typeof value === 'string' && value !== '') headers[key] = value;
  }
  return headers;
}

/**
 * The reverse direction, for SubmitTask requests arriving over gRPC. The task's own `trace_context` wins
 * over `callTrace` (the call's trace-context metadata).
 */
export function fromAssignment(
  task: TaskAssignment | undefined,
  selector: Record<string, string>,
  callTrace: Record<string, string> = {},
): SubmitTaskInput {
  if (!task) throw invalidField('task', 'is required');
  const input: SubmitTaskInput = { tool: task.tool, selector };
  const traceContext = Object.keys(task.traceContext).length > 0 ? task.traceContext : callTrace;
  if (Object.keys(traceContext).length > 0) input.traceContext = traceContext;
  if (task.taskId) input.taskId = task.taskId;
  if (task.sessionId) input.sessionId = task.sessionId;
  if (task.params !== undefined) input.params = task.params as Record<string, unknown>;
  if (task.args.length > 0) input.args = task.args;
  if (task.mountSource) input.mountSource = task.mountSource;
  if (task.timeoutMs) input.timeoutMs = task.timeoutMs;
  if (task.limits) {
    input.limits = {
      nanoCpus: task.limits.nanoCpus,
      memoryBytes: task.limits.memoryBytes,
      pidsLimit: task.limits.pidsLimit,
    };
  }
  input.labels = task.labels;
  return input;
}
