/**
 * The executor's policy contract, declared here with identical shapes so that
 * this package depends on no sibling: an enforcer from `createPolicyEnforcer`
 * is assignable to the executor's `PolicyEnforcer` structurally.
 */

export interface ContainerMountRequest {
  /** Host path as given; the enforcer resolves symlinks and `..` itself. */
  source: string;
  /** Path in the container, e.g. `/workspace`. */
  target: string;
  mode: 'readonly' | 'readwrite';
}

/** Resource values a caller explicitly requested; absent fields were not requested. */
export interface RequestedResources {
  nanoCpus?: number;
  memoryBytes?: number;
  pidsLimit?: number;
}

export interface ContainerRequest {
  sessionId?: string;
  taskId?: string;
  tool: string;
  image: string;
  /** `uid:gid` the process runs as. */
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
     * The values the caller explicitly asked for (an orchestrator's per-task limits), before the executor
     * tightened them against the tool's own. One above its `quotas.max_*` is denied naming the quota, in
     * every mode but `disabled`; the executor's defaults above a quota are clamped (permissive) as before.
     */
    requested?: RequestedResources;
  };
  /** Size of the /tmp tmpfs in bytes. */
  tmpfsBytes: number;
  network: 'none' | 'egress';
  /**
   * Workspace-relative paths tools may never write (`mounts.protected_paths`). The executor sends its
   * own list; the enforced request carries the policy's when it sets one.
   */
  protectedPaths: string[];
  /** Whether file tools may touch a file with more than one hard link (`mounts.allow_hardlinks`). */
  allowHardlinks: boolean;
  /**
   * The OCI runtime the container would use; the enforced request carries `security.runtime` when the
   * policy sets one that is not weaker. @default the executor's runtime
   */
  runtime?: string;
}

export interface EgressRequest {
  sessionId?: string;
  taskId?: string;
  tool?: string;
  /** Host name (or IP literal) as the tool asked for it. */
  host: string;
  port: number;
  /** The address the proxy resolved `host` to; absent for the pre-resolution check. */
  address?: string;
}

export interface EgressDecision {
  allowed: boolean;
  /** Name of the rule that decided, e.g. `network.deny_private`. */
  rule: string;
  /** The entry of that rule that matched, when one did: `127.0.0.0/8`, `*.example.com`. @default none */
  match?: string;
  reason: string;
}

export interface PolicyEnforcerContract {
  enforce(request: ContainerRequest): ContainerRequest | Promise<ContainerRequest>;
  checkEgress?(request: EgressRequest): EgressDecision | Promise<EgressDecision>;
}
