import type { ResourceLimits, TaskAssignment } from '@baaaht/proto';
import type { AgentTask, AgentTaskLimits } from './task-handler';

type Copy<K extends keyof TaskAssignment> = (value: TaskAssignment[K], task: AgentTask) => void;

/**
 * Where each field of the wire's assignment goes. The mapped type makes the table complete: a field
 * added to `TaskAssignment` in the proto fails the build here until it is given a place.
 */
const ASSIGNMENT_FIELDS: { [K in keyof TaskAssignment]-?: Copy<K> } = {
  taskId: (v, t) => (t.taskId = v),
  sessionId: (v, t) => (t.sessionId = v),
  tool: (v, t) => (t.tool = v),
  params: (v, t) => {
    if (v !== undefined) t.params = { ...(v as Record<string, unknown>) };
  },
  args: (v, t) => {
    if (v.length > 0) t.args = [...v];
  },
  mountSource: (v, t) => (t.mountSource = v),
  timeoutMs: (v, t) => {
    if (v > 0) t.timeoutMs = v;
  },
  limits: (v, t) => {
    const limits = v === undefined ? {} : toAgentTaskLimits(v);
    if (Object.keys(limits).length > 0) t.limits = limits;
  },
  labels: (v, t) => (t.labels = { ...v }),
  attempt: (v, t) => (t.attempt = v || 1),
  leaseMs: (v, t) => {
    if (v > 0) t.leaseMs = v;
  },
  traceContext: (v, t) => {
    if (Object.keys(v).length > 0) t.traceContext = { ...v };
  },
};

/** The same for the limits: each wire field names its `AgentTaskLimits` field. */
const LIMIT_FIELDS: { [K in keyof ResourceLimits]-?: keyof AgentTaskLimits } = {
  nanoCpus: 'nanoCpus',
  memoryBytes: 'memoryBytes',
  memorySwap: 'memorySwapBytes',
  pidsLimit: 'pidsLimit',
};

function toAgentTaskLimits(limits: ResourceLimits): AgentTaskLimits {
  const out: AgentTaskLimits = {};
  for (const [from, to] of Object.entries(LIMIT_FIELDS) as Array<[keyof ResourceLimits, keyof AgentTaskLimits]>) {
    if (limits[from] > 0) out[to] = limits[from];
  }
  return out;
}

/** The handler's view of a wire assignment: every field carried, zero values (`0`, `[]`) left out. */
export function toAgentTask(assignment: TaskAssignment): AgentTask {
  const task: AgentTask = { taskId: '', sessionId: '', tool: '', mountSource: '', labels: {}, attempt: 1 };
  for (const key of Object.keys(ASSIGNMENT_FIELDS) as Array<keyof TaskAssignment>) {
    (ASSIGNMENT_FIELDS[key] as Copy<typeof key>)(assignment[key], task);
  }
  return task;
}
