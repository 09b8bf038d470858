import { enforcedRuntime } from '@baaaht/policy';
import type { ToolCommand } from '@baaaht/tool-specs';
import type { ContainerCreateBody } from './docker-client';
import { LABELS } from './labels';
import { gatedCommand } from './mount-gate';
import type { MountPin } from './mount-gate';
import type { DescriptorMount } from './descriptor-mounts';
import type { ContainerRequest, RequestedResources } from './policy-enforcer';
import type { ProtectedMount } from './protected-paths';
import { runtimeLimits } from './runtime-profile';

/** Where tools see the workspace. */
export const WORKSPACE_TARGET = '/workspace';
/** Where web tools find the egress proxy's socket directory. */
export const EGRESS_TARGET = '/run/baaaht';
export const EGRESS_SOCKET_NAME = 'egress.sock';
/** The proxy URL handed to curl: SOCKS5 with remote name resolution, over a Unix socket (curl >= 7.84). */
export const EGRESS_PROXY_URL = `socks5h://localhost${EGRESS_TARGET}/${EGRESS_SOCKET_NAME}`;
/** The uid:gid tools run as when the workspace belongs to root (or there is no workspace). */
export const NOBODY_USER = '65534:65534';

/** Everything about one task's containers that is the same for each of its commands. */
export interface ContainerPlan {
  workerId: string;
  instanceId: string;
  version: string;
  sessionId?: string;
  /**
   * The request's own session id (not the executor's default `sessionId`): with sessions enabled, the
   * task's steps run in that session's container (session-runtime.ts).
   */
  runInSession?: string;
  taskId: string;
  tool: string;
  image: string;
  /** `uid:gid`. */
  user: string;
  /** Real (symlink-resolved) host path of the workspace, when the tool mounts one. */
  workspaceSource?: string;
  workspaceMode: 'readonly' | 'readwrite';
  /**
   * Identities every bind target must have before the tool may run (the mount identity gate), and the
   * per-task nonce of the gate's refusal marker. Empty: no gate (no bind mounts).
   */
  pins?: MountPin[];
  gateNonce?: string;
  /**
   * The gVisor tier: these bind targets are mounted from descriptors the executor holds, through volumes
   * (descriptor-mounts.ts), and there is no gate. Their container's runtime replaces the binds with the
   * volumes (`useDescriptorVolumes`) after `buildCreateBody`. `pins` still name the judged identities.
   */
  descriptorMounts?: DescriptorMount[];
  /** Workspace-relative paths tools may never write (executor option, then the policy's answer). */
  protectedPaths: string[];
  /** Whether file tools may touch a regular file with more than one hard link. */
  allowHardlinks: boolean;
  /** Read-only binds nested over the read-write workspace, one per protected path that exists. */
  protectedMounts?: ProtectedMount[];
  /** Host directory holding the egress proxy socket, for web tools. */
  egressDir?: string;
  cpus: number;
  memoryBytes: number;
  pidsLimit: number;
  tmpfsBytes: number;
  readOnlyRootfs: boolean;
  runtime: string;
  /** Epoch ms; written as a label for the reaper. */
  deadlineMs: number;
  /** The task's own labels, already validated and prefixed (`org.baaaht.label.<key>`). */
  taskLabels?: Record<string, string>;
  /** The limits the caller explicitly asked for, shown to the policy as such. */
  requested?: RequestedResources;
}

/** The plan in the policy's terms. */
export function toContainerRequest(plan: ContainerPlan, network: 'none' | 'egress'): ContainerRequest {
  const request: ContainerRequest = {
    tool: plan.tool,
    taskId: plan.taskId,
    image: plan.image,
    user: plan.user,
    privileged: false,
    capAdd: [],
    capDrop: ['ALL'],
    readOnlyRootfs: plan.readOnlyRootfs,
    mounts:
      plan.workspaceSource === undefined
        ? []
        : [{ source: plan.workspaceSource, target: WORKSPACE_TARGET, mode: plan.workspaceMode }],
    resources: {
      nanoCpus: Math.round(plan.cpus * 1e9),
      memoryBytes: plan.memoryBytes,
      memorySwapBytes: plan.memoryBytes,
      pidsLimit: plan.pidsLimit,
    },
    tmpfsBytes: plan.tmpfsBytes,
    network,
    protectedPaths: [...plan.protectedPaths],
    allowHardlinks: plan.allowHardlinks,
    runtime: plan.runtime,
  };
  if (plan.sessionId !== undefined) request.sessionId = plan.sessionId;
  if (plan.requested !== undefined) request.resources.requested = { ...plan.requested };
  return request;
}

const isRootUser = (user: string): boolean => /^(0|root)(:|$)/.test(user);
const tighter = (ours: number, theirs: number): number =>
  Number.isFinite(theirs) && theirs > 0 ? Math.min(ours, theirs) : ours;

/**
 * Applies what the policy returned, but only where it tightens: a policy can lower limits, make the
 * workspace read-only, pick another non-root user or a stronger runtime; it can never loosen the
 * executor's isolation.
 */
export function applyEnforced(plan: ContainerPlan, enforced: ContainerRequest): ContainerPlan {
  const mount = enforced.mounts.find((m) => m.target === WORKSPACE_TARGET);
  const next: ContainerPlan = {
    ...plan,
    cpus: tighter(plan.cpus * 1e9, enforced.resources.nanoCpus) / 1e9,
    memoryBytes: tighter(
      plan.memoryBytes,
      Math.min(enforced.resources.memoryBytes, enforced.resources.memorySwapBytes),
    ),
    pidsLimit: tighter(plan.pidsLimit, enforced.resources.pidsLimit),
    tmpfsBytes: tighter(plan.tmpfsBytes, enforced.tmpfsBytes),
    readOnlyRootfs: plan.readOnlyRootfs || enforced.readOnlyRootfs,
    workspaceMode: mount?.mode === 'readonly' ? 'readonly' : plan.workspaceMode,
    // Policy-owned: when the policy answers, its lists decide (an enforcer without them keeps ours).
    protectedPaths: Array.isArray(enforced.protectedPaths) ? [...enforced.protectedPaths] : plan.protectedPaths,
    allowHardlinks: typeof enforced.allowHardlinks === 'boolean' ? enforced.allowHardlinks : plan.allowHardlinks,
    // The policy's runtime (security.runtime), never a weaker one than ours, whatever the enforcer says.
    runtime:
      typeof enforced.runtime === 'string' && enforced.runtime !== ''
        ? (enforcedRuntime(plan.runtime, enforced.runtime) ?? plan.runtime)
        : plan.runtime,
  };
  if (enforced.user !== '' && !isRootUser(enforced.user)) next.user = enforced.user;
  return next;
}

/** A container name that stays unique under concurrency and still says what it is in `docker ps`. */
export function containerName(tool: string, taskId: string, random: string): string {
  const shortTask = taskId.replace(/[^a-zA-Z0-9_.-]/g, '').slice(0, 12) || 'task';
  return `baaaht-${tool.replace(/[^a-zA-Z0-9_.-]/g, '')}-${shortTask}-${random}`;
}

/** The Docker create body for one command. Isolation is fixed here, not left to callers. */
export function buildCreateBody(plan: ContainerPlan, command: ToolCommand, name: string): ContainerCreateBody {
  const hasStdin = command.stdin !== undefined;
  const mounts: ContainerCreateBody['HostConfig']['Mounts'] = [];
  if (plan.workspaceSource !== undefined) {
    mounts.push({
      Type: 'bind',
      Source: plan.workspaceSource,
      Target: WORKSPACE_TARGET,
      ReadOnly: plan.workspaceMode !== 'readwrite',
    });
    // After the workspace: each protected path is a read-only bind over the read-write one.
    for (const p of plan.protectedMounts ?? [])
      mounts.push({ Type: 'bind', Source: p.source, Target: p.target, ReadOnly: true });
  }
  if (plan.egressDir !== undefined)
    mounts.push({ Type: 'bind', Source: plan.egressDir, Target: EGRESS_TARGET, ReadOnly: true });
  const labels: Record<string, string> = {
    // First, so that ours win; the prefix already keeps them apart.
    ...plan.taskLabels,
    [LABELS.managed]: 'true',
    [LABELS.workerId]: plan.workerId,
    [LABELS.instanceId]: plan.instanceId,
    [LABELS.version]: plan.version,
    [LABELS.taskId]: plan.taskId,
    [LABELS.tool]: plan.tool,
    [LABELS.deadline]: String(Math.round(plan.deadlineMs)),
  };
  if (plan.sessionId !== undefined) labels[LABELS.sessionId] = plan.sessionId;
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${v}`);
  // The tool's limits, as the runtime needs them given (gVisor: in the sandbox, plus its own budget).
  const limits = runtimeLimits(plan.runtime, plan);
  const gated =
    plan.pins !== undefined && plan.pins.length > 0 && plan.descriptorMounts === undefined
      ? gatedCommand(command.argv, plan.pins, plan.gateNonce ?? '')
      : { argv: [...command.argv], env: [] };
  return {
    name,
    Image: plan.image,
    // The image's entrypoint would otherwise get our argv as arguments; argv[0] must be the program.
    Entrypoint: [],
    Cmd: gated.argv,
    Env: ['HOME=/tmp', ...env, ...gated.env],
    User: plan.user,
    WorkingDir: plan.workspaceSource === undefined ? '/' : WORKSPACE_TARGET,
    Labels: labels,
    AttachStdin: hasStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: hasStdin,
    StdinOnce: hasStdin,
    Tty: false,
    // Measured: no network namespace setup at all starts in about half the time of NetworkMode none alone.
    NetworkDisabled: true,
    HostConfig: {
      Mounts: mounts,
      Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,mode=1777,size=${plan.tmpfsBytes}` },
      ReadonlyRootfs: plan.readOnlyRootfs,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      PidsLimit: limits.cgroupPidsLimit,
      ...(limits.nproc === undefined ? {} : { Ulimits: [{ Name: 'nproc', Soft: limits.nproc, Hard: limits.nproc }] }),
      Memory: limits.cgroupMemoryBytes,
      MemorySwap: limits.cgroupMemoryBytes,
      // Period/quota rather than NanoCpus: measured faster container start on this engine.
      CpuPeriod: 1_000_000,
      CpuQuota: Math.max(1000, Math.round(limits.cgroupCpus * 1_000_000)),
      NetworkMode: 'none',
      // Output is read by attaching; nothing needs to be logged to disk.
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      Runtime: plan.runtime,
      IpcMode: 'private',
    },
  };
}
