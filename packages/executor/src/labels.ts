/** Labels on every container the executor creates; the reaper finds its containers by them. */
export const LABELS = Object.freeze({
  managed: 'org.baaaht.managed',
  workerId: 'org.baaaht.worker-id',
  /** The executor instance (one per process object) that created the container; see instance-registry.ts. */
  instanceId: 'org.baaaht.instance-id',
  /** The version of the worker (or embedder) that created it. */
  version: 'org.baaaht.version',
  sessionId: 'org.baaaht.session-id',
  taskId: 'org.baaaht.task-id',
  tool: 'org.baaaht.tool',
  /** Epoch milliseconds after which the task is over whatever happened to its worker. */
  deadline: 'org.baaaht.deadline',
});

/** The `docker ps --filter label=` selector for every executor-managed container. */
export const MANAGED_SELECTOR = `${LABELS.managed}=true`;
