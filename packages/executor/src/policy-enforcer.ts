/**
 * The executor's view of a security policy. `@baaaht/policy` implements it
 * (structurally: the executor does not depend on that package), and so can
 * anything else an embedder wants to plug in.
 */

/** A bind mount as the container would get it. */
export interface ContainerMountRequest {
  /** Host path as given; the enforcer resolves symlinks and `..` itself. */
  source: string;
  /** Path in the container, e.g. `/workspace`. */
  target: string;
  mode: 'readonly' | 'readwrite';
}

/** Resource values a caller explicitly requested (nano-CPUs, bytes, pids); absent fields were not requested. */
export interface RequestedResources {
  nanoCpus?: number;
  memoryBytes?: number;
  pidsLimit?: number;
}

/** The container the executor is about to create, in policy terms. */
export interface ContainerRequest {
  sessionId?: string;
  taskId?: string;
  tool: string;
  image: string;
  /** `uid:gid` the process runs as (never empty). */
  user: string;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  readOnlyRootfs: boolean;
  mounts: ContainerMountRequest[];
  resources: {
    nanoCpus: number;
    memoryBytes: number;
    /** Memory + swap; equal to memoryBytes means no swap. */
    memorySwapBytes: number;
    pidsLimit: number;
    /**
     * What the caller explicitly asked for (`TaskRequest.limits`), before the executor tightened it against
     * the tool's own limits; absent when nothing was asked. `@baaaht/policy` denies a value above its quota
     * naming the quota, and keeps clamping the executor's defaults.
     */
    requested?: RequestedResources;
  };
  /** Size of the /tmp tmpfs in bytes. */
  tmpfsBytes: number;
  network: 'none' | 'egress';
  /**
   * Workspace-relative paths tools may never write (mounted read-only, refused by file_write and
   * file_edit). The executor sends its `protectedPaths` option; the enforced request carries the
   * policy's `mounts.protected_paths` when it sets one (`[]` protects nothing).
   */
  protectedPaths: string[];
  /** Whether file tools may read or write a regular file with more than one hard link (`mounts.allow_hardlinks`). */
  allowHardlinks: boolean;
  /**
   * The OCI runtime the container would use. The enforced request may name another (`security.runtime`):
   * the executor takes it unless it is weaker (gVisor ranks above the rest) and refuses the task with
   * `RUNTIME_UNAVAILABLE` when the engine does not have it. @default the executor's `runtime`
   */
  runtime?: string;
}

/** One outbound connection a web tool asks the egress proxy for. */
export interface EgressRequest {
  sessionId?: string;
  taskId?: string;
  tool?: string;
  /** Host name (or IP literal) as the tool asked for it. */
  host: string;
  port: number;
  /** The address the proxy resolved `host` to and would connect to. Absent for the pre-resolution check. */
  address?: string;
}

export interface EgressDecision {
  allowed: boolean;
  /** Name of the rule that decided, e.g. `network.deny_private`. */
  rule: string;
  /** The entry of that rule that matched (`127.0.0.0/8`), when the policy says. @default none */
  match?: string;
  reason: string;
}

/**
 * What the policy grants an opt-in tool (`ToolSpec.enabledBy`: exec). The executor refuses the tool unless
 * `enabled`, and tightens the call to the limits: each only lowers the executor's own value.
 */
export interface ToolGrant {
  enabled: boolean;
  /** Longest timeout a call may have; a longer one is shortened to it. */
  maxTimeoutMs?: number;
  /** Per-stream output cap in bytes (exec keeps the head and tail halves of it). */
  maxOutputBytes?: number;
  cpus?: number;
  memoryBytes?: number;
  pidsLimit?: number;
  /** `egress`: the tool may reach the network through the egress proxy, under the policy's network rules. @default 'none' */
  network?: 'none' | 'egress';
}

/**
 * Called by the executor before every container is created (`enforce`) and by
 * the egress proxy for every connection (`checkEgress`, twice: by name, then
 * by resolved address).
 */
export interface PolicyEnforcer {
  /**
   * Returns the request with defaults and clamps applied, or throws an error
   * whose `code` is `'POLICY_DENIED'` (and whose `violations` list says why).
   */
  enforce(request: ContainerRequest): ContainerRequest | Promise<ContainerRequest>;
  /** Omitted: the executor's built-in egress rules apply (public addresses on ports 80/443 only). */
  checkEgress?(request: EgressRequest): EgressDecision | Promise<EgressDecision>;
  /**
   * A reloadable policy returns the enforcer in force now. The executor calls it once
   * at the start of each task and uses the result for all of that task's checks, so a
   * reload never changes the rules under a running task. Omitted: the enforcer is used as is.
   */
  snapshot?(): PolicyEnforcer;
  /**
   * The grant of an opt-in tool (`ToolSpec.enabledBy`). Omitted, or `enabled` not true: the executor
   * refuses the tool (`POLICY_DENIED`, detail the spec's `enabledBy`), in every policy mode.
   */
  toolGrant?(tool: string): ToolGrant | undefined;
}
