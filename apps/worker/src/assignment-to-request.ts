/**
 * The one translation of an assignment (the agent's `AgentTask`, itself every field of the wire's
 * `TaskAssignment`, see `toAgentTask`) into the executor's `TaskRequest`. Each field is mapped or
 * ignored with a reason, in tables the compiler checks for completeness: a field added to the proto
 * fails the build in `toAgentTask`, then here, until someone decides what it means for the container.
 */
import type { AgentTask, AgentTaskLimits } from '@baaaht/agent';
import type { TaskEvent, TaskLimits, TaskRequest } from '@baaaht/executor';

/** What the handler adds to an assignment: cancellation and the event sink. */
export interface RequestContext {
  signal: AbortSignal;
  onEvent(event: TaskEvent): void;
}

/** How one field reaches the request: `map` copies it, `ignored` says why it does not. */
type FieldRule<V, Into> = { map(value: V, into: Into): void } | { ignored: string };

/** Copies a value that is set (neither undefined nor empty) to the field `key` of the same meaning. */
function copyTo<Into, K extends keyof Into>(key: K): { map(value: Into[K] | '', into: Into): void } {
  return {
    map(value, into) {
      if (value !== undefined && value !== '') into[key] = value as Into[K];
    },
  };
}

const TASK_FIELDS: { [K in keyof AgentTask]-?: FieldRule<AgentTask[K], TaskRequest> } = {
  taskId: copyTo('taskId'),
  // Empty: the executor's own session id (the worker's name) labels the container.
  sessionId: copyTo('sessionId'),
  tool: copyTo('tool'),
  params: copyTo('params'),
  // The executor uses args only when params is absent.
  args: copyTo('args'),
  mountSource: copyTo('mountSource'),
  timeoutMs: copyTo('timeoutMs'),
  limits: {
    map: (v, r) => {
      const limits = v === undefined ? {} : toTaskLimits(v);
      if (Object.keys(limits).length > 0) r.limits = limits;
    },
  },
  // Validated by the executor (Docker label syntax, bounded), which refuses bad ones before any container.
  labels: {
    map: (v, r) => {
      if (Object.keys(v).length > 0) r.labels = v;
    },
  },
  attempt: {
    ignored: "the delivery count is the agent's and the hub's bookkeeping (logged with the task), not the container's",
  },
  leaseMs: {
    ignored: "the hub's lease on this worker, kept by the agent's heartbeats; the container has no use for it",
  },
  traceContext: {
    ignored:
      "continued by the agent's task span, which is the active context while the executor runs (its spans are children)",
  },
};

const LIMIT_FIELDS: { [K in keyof AgentTaskLimits]-?: FieldRule<AgentTaskLimits[K], TaskLimits> } = {
  nanoCpus: {
    map: (v, l) => {
      if (v !== undefined) l.cpus = v / 1e9;
    },
  },
  memoryBytes: copyTo('memoryBytes'),
  pidsLimit: copyTo('pidsLimit'),
  memorySwapBytes: {
    ignored: 'containers never get swap (memory + swap = memory), which is at least as tight as any request',
  },
};

function apply<T extends object, Into>(rules: { [K in keyof T]-?: FieldRule<T[K], Into> }, from: T, into: Into): void {
  for (const key of Object.keys(rules) as Array<keyof T>) {
    const rule = rules[key];
    if ('map' in rule) rule.map(from[key], into);
  }
}

function toTaskLimits(limits: AgentTaskLimits): TaskLimits {
  const out: TaskLimits = {};
  apply(LIMIT_FIELDS, limits, out);
  return out;
}

/** Assignment fields (dotted for nested ones) that never reach the executor, with the reason. */
export const IGNORED_ASSIGNMENT_FIELDS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries([
    ...Object.entries(TASK_FIELDS).flatMap(([k, r]) => ('ignored' in r ? [[k, r.ignored]] : [])),
    ...Object.entries(LIMIT_FIELDS).flatMap(([k, r]) => ('ignored' in r ? [[`limits.${k}`, r.ignored]] : [])),
  ]) as Record<string, string>,
);

/**
 * The executor request for an assignment. Limits only tighten the tool's own; one above a policy quota
 * is denied by the executor's policy naming the quota. The session id and labels label the container.
 */
export function assignmentToRequest(task: AgentTask, ctx: RequestContext): TaskRequest {
  const request: TaskRequest = { tool: task.tool, signal: ctx.signal, onEvent: ctx.onEvent };
  apply(TASK_FIELDS, task, request);
  return request;
}
