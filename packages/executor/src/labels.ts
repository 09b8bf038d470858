/** Labels on every container the executor creates; the reaper finds its containers by them. */
export const LABELS = Object.freeze({
  managed: 'org.baaaht.managed',
  workerId: 'org.baaaht.worker-id',
  /** The executor instance (one per process object) that created the container; see instance-registry.ts. */
  instanceId: 'org.baaaht.instance-id',
  /** The version of the worker (or embedder) that created it. */
  version: 'org.baaaht.version',
  sessionId: 'org.baaaht.session-id',
  /** `1` on a session's long-lived container (see session-runtime.ts). */
  session: 'org.baaaht.session',
  /** Epoch ms at which a session container's maximum lifetime ends (its deadline label says the same). */
  sessionExpiry: 'org.baaaht.session-expiry',
  taskId: 'org.baaaht.task-id',
  tool: 'org.baaaht.tool',
  /** Epoch milliseconds after which the task is over whatever happened to its worker. */
  deadline: 'org.baaaht.deadline',
  /** `1` on a warm-pool container (created ahead of its call; see container-pool.ts). */
  pool: 'org.baaaht.pool',
  /** The pool key's hash: containers with the same one were created alike. */
  poolKey: 'org.baaaht.pool-key',
  /** Epoch ms after which a pool container that is still waiting for its call is removed. */
  poolIdleDeadline: 'org.baaaht.pool-idle-deadline',
});

/** The `docker ps --filter label=` selector for every executor-managed container. */
export const MANAGED_SELECTOR = `${LABELS.managed}=true`;

/** A task's own labels go on its containers as `org.baaaht.label.<key>`, so none can pose as one of ours. */
export const TASK_LABEL_PREFIX = 'org.baaaht.label.';
/** At most this many task labels. */
export const MAX_TASK_LABELS = 32;
/** Longest task label key (before the prefix). */
export const MAX_TASK_LABEL_KEY = 63;
/** Longest task label value, in UTF-8 bytes. */
export const MAX_TASK_LABEL_VALUE_BYTES = 256;

// Docker's recommended key syntax: lowercase alphanumerics separated by single `.`, `-` (and `_`).
const LABEL_KEY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// Control characters would break `docker ps` output and log lines.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The container labels for a task's own labels, or why they are refused (the first problem). */
export function taskLabels(
  labels: Readonly<Record<string, string>>,
): { labels: Record<string, string> } | { error: string } {
  const entries = Object.entries(labels);
  if (entries.length > MAX_TASK_LABELS)
    return { error: `labels: ${entries.length} labels, at most ${MAX_TASK_LABELS} are allowed` };
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length > MAX_TASK_LABEL_KEY || !LABEL_KEY.test(key))
      return {
        error:
          `labels: key ${JSON.stringify(key)} is not a label key (1-${MAX_TASK_LABEL_KEY} lowercase letters and digits, ` +
          'separated by single ".", "-" or "_")',
      };
    if (typeof value !== 'string' || CONTROL.test(value))
      return { error: `labels.${key}: the value must be a string without control characters` };
    if (Buffer.byteLength(value, 'utf8') > MAX_TASK_LABEL_VALUE_BYTES)
      return { error: `labels.${key}: the value is longer than ${MAX_TASK_LABEL_VALUE_BYTES} bytes` };
    out[`${TASK_LABEL_PREFIX}${key}`] = value;
  }
  return { labels: out };
}
