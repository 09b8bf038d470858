import type { ContainerRequest } from './contract';
import type { HostIdentity } from './identity';
import type { Policy, QuotaPolicy, Violation } from './model';
import { checkMounts, type AllowlistCompiler, type RealPath } from './mount-rules';
import { imageMatches, parseImageReference } from './patterns';
import { isOptInTool } from './opt-in-tools';
import { enforcedRuntime } from './runtime-rank';

export interface ContainerEvaluation {
  violations: Violation[];
  /** The request with defaults and every clamp applied; what permissive mode hands back. */
  adjusted: ContainerRequest;
}

const hard = (rule: string, message: string): Violation => ({ rule, message, severity: 'error', hard: true });
const soft = (rule: string, message: string): Violation => ({ rule, message, severity: 'error', hard: false });
const warning = (rule: string, message: string): Violation => ({ rule, message, severity: 'warning', hard: false });

const normCap = (c: string): string => c.trim().toUpperCase().replace(/^CAP_/, '');

/** `user` empty, `0`, `root`, `0:*` or `root:*` runs as root inside the container. */
export function isRootUser(user: string): boolean {
  const name = (user.split(':')[0] ?? '').trim();
  return name === '' || name === 'root' || /^0+$/.test(name);
}

function checkImage(image: string, policy: Policy, v: Violation[]): void {
  const images = policy.images ?? {};
  const denied = images.denied_images?.find((p) => imageMatches(p, image));
  if (denied) v.push(hard('images.denied_images', `image ${image} matches denied pattern ${denied}`));
  const allowed = images.allowed_images ?? [];
  if (allowed.length > 0 && !allowed.some((p) => imageMatches(p, image))) {
    v.push(hard('images.allowed_images', `image ${image} matches no allowed image pattern`));
  }
  const ref = parseImageReference(image);
  if (images.require_digest === true && !ref.digest)
    v.push(soft('images.require_digest', `image ${image} is not pinned by digest`));
  const latest = ref.tag === 'latest' || (ref.tag === undefined && ref.digest === undefined);
  if (images.allow_latest_tag !== true && latest)
    v.push(soft('images.allow_latest_tag', `image ${image} uses the mutable latest tag`));
}

function checkSecurity(req: ContainerRequest, policy: Policy, v: Violation[], out: ContainerRequest): void {
  const sec = policy.security ?? {};
  if (req.privileged) v.push(hard('security.privileged', 'privileged containers are never allowed'));
  out.privileged = false;
  if (isRootUser(req.user)) {
    if (sec.require_non_root === true || sec.allow_root !== true)
      v.push(hard('security.non_root', `container would run as root (user "${req.user}")`));
  } else {
    const [uidText, gidText] = req.user.split(':');
    const checkId = (list: number[] | undefined, text: string | undefined, kind: 'uid' | 'gid'): void => {
      if (!list || list.length === 0 || text === undefined) return;
      // A name cannot be checked against numeric ids without the image's passwd file: fail closed.
      if (!/^\d+$/.test(text) || !list.includes(Number(text)))
        v.push(hard(`security.allowed_${kind}s`, `${kind} "${text}" is not in allowed_${kind}s`));
    };
    checkId(sec.allowed_uids, uidText, 'uid');
    checkId(sec.allowed_gids, gidText, 'gid');
  }
  const allowedCaps = new Set((sec.allowed_capabilities ?? []).map(normCap));
  const keptCaps: string[] = [];
  for (const cap of req.capAdd) {
    if (allowedCaps.has(normCap(cap)) && normCap(cap) !== 'ALL') keptCaps.push(cap);
    else v.push(soft('security.allowed_capabilities', `capability ${cap} is not allowed`));
  }
  const added = (sec.add_capabilities ?? []).filter((c) => !keptCaps.some((k) => normCap(k) === normCap(c)));
  out.capAdd = [...keptCaps, ...added];
  const drops = (sec.drop_capabilities ?? []).filter((c) => !req.capDrop.some((k) => normCap(k) === normCap(c)));
  out.capDrop = [...req.capDrop, ...drops];
  if ((sec.read_only_rootfs === true || policy.mounts?.enforce_read_only_rootfs === true) && !req.readOnlyRootfs) {
    v.push(soft('security.read_only_rootfs', 'the root filesystem must be read-only'));
    out.readOnlyRootfs = true;
  }
  // Policy-owned, like protected_paths: no violation, and never weaker than the runtime asked for.
  const runtime = enforcedRuntime(req.runtime, sec.runtime);
  if (runtime !== undefined) out.runtime = runtime;
}

/** Pushes a violation and returns the clamped value when `value` is unlimited (<= 0) or above `max`. */
function clampMax(value: number, max: number | undefined, rule: string, what: string, v: Violation[]): number {
  if (max === undefined || (value > 0 && value <= max)) return value;
  v.push(soft(rule, `${what} ${value <= 0 ? 'unlimited' : value} exceeds the quota ${max}`));
  return max;
}

function clampMin(value: number, min: number | undefined, rule: string, what: string, v: Violation[]): number {
  if (min === undefined || value <= 0 || value >= min) return value;
  v.push(warning(rule, `${what} ${value} is below the minimum ${min}; raised`));
  return min;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const KiB = 1024;

/** `2 GiB`, `512 MiB`, `1536 KiB`, `1000 bytes`: the largest binary unit that divides the value exactly. */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

const formatCpus = (nanoCpus: number): string => String(nanoCpus / 1e9);

/**
 * An explicitly requested value above its quota is a hard violation naming the quota: the caller asked
 * for more than the host allows, and quietly giving it less would hide that. Returns the rules it denied.
 */
function checkRequested(req: ContainerRequest, q: QuotaPolicy, v: Violation[]): Set<string> {
  const asked = req.resources.requested ?? {};
  const denied = new Set<string>();
  const over = (
    value: number | undefined,
    max: number | undefined,
    rule: string,
    what: string,
    fmt: (n: number) => string,
  ) => {
    if (value === undefined || value <= 0 || max === undefined || value <= max) return;
    v.push(hard(rule, `${what} ${fmt(value)} exceeds the policy quota ${rule} ${fmt(max)}`));
    denied.add(rule);
  };
  over(asked.nanoCpus, q.max_cpus, 'quotas.max_cpus', 'cpus', formatCpus);
  over(asked.memoryBytes, q.max_memory, 'quotas.max_memory', 'memory', formatBytes);
  over(asked.pidsLimit, q.max_pids, 'quotas.max_pids', 'pids limit', String);
  return denied;
}

function checkQuotas(req: ContainerRequest, policy: Policy, v: Violation[], out: ContainerRequest): void {
  const q = policy.quotas ?? {};
  const r = req.resources;
  const denied = checkRequested(req, q, v);
  // The clamps below would repeat a denied rule as a softer violation of the same quota.
  const clamps: Violation[] = [];
  const nanoCpus = clampMin(
    clampMax(r.nanoCpus, q.max_cpus, 'quotas.max_cpus', 'CPU (nano-CPUs)', clamps),
    q.min_cpus,
    'quotas.min_cpus',
    'CPU (nano-CPUs)',
    clamps,
  );
  const memoryBytes = clampMin(
    clampMax(r.memoryBytes, q.max_memory, 'quotas.max_memory', 'memory', clamps),
    q.min_memory,
    'quotas.min_memory',
    'memory',
    clamps,
  );
  const pidsLimit = clampMin(
    clampMax(r.pidsLimit, q.max_pids, 'quotas.max_pids', 'pids limit', clamps),
    q.min_pids,
    'quotas.min_pids',
    'pids limit',
    clamps,
  );
  v.push(...clamps.filter((c) => !denied.has(c.rule)));
  // "No swap" (swap total == memory) must survive a memory clamp.
  let memorySwapBytes = r.memorySwapBytes === r.memoryBytes ? memoryBytes : r.memorySwapBytes;
  const maxSwap = q.max_memory_swap;
  if (maxSwap === 0 && memorySwapBytes !== memoryBytes) {
    v.push(soft('quotas.max_memory_swap', 'swap is not allowed (memory + swap must equal memory)'));
    memorySwapBytes = memoryBytes;
  } else if (maxSwap !== undefined && maxSwap > 0 && (memorySwapBytes <= 0 || memorySwapBytes > maxSwap)) {
    v.push(
      soft(
        'quotas.max_memory_swap',
        `memory + swap ${memorySwapBytes <= 0 ? 'unlimited' : memorySwapBytes} exceeds the quota ${maxSwap}`,
      ),
    );
    memorySwapBytes = Math.max(memoryBytes, maxSwap);
  }
  if (memorySwapBytes > 0 && memorySwapBytes < memoryBytes) memorySwapBytes = memoryBytes;
  out.resources = { nanoCpus, memoryBytes, memorySwapBytes, pidsLimit };

  const m = policy.mounts ?? {};
  if (req.tmpfsBytes > 0 && m.allow_tmpfs === false) {
    v.push(soft('mounts.allow_tmpfs', 'tmpfs mounts are not allowed'));
    out.tmpfsBytes = 0;
  } else if (m.max_tmpfs_size !== undefined && req.tmpfsBytes > m.max_tmpfs_size) {
    v.push(soft('mounts.max_tmpfs_size', `tmpfs ${req.tmpfsBytes} exceeds the quota ${m.max_tmpfs_size}`));
    out.tmpfsBytes = m.max_tmpfs_size;
  }
}

/**
 * Every rule for one container request. `policy` is already tightened for
 * the request's tool. Hard violations deny in strict and permissive mode.
 */
export function evaluateContainer(
  req: ContainerRequest,
  policy: Policy,
  identity: () => HostIdentity,
  realpath?: RealPath,
  compile?: AllowlistCompiler,
): ContainerEvaluation {
  const v: Violation[] = [];
  const out: ContainerRequest = {
    ...req,
    capAdd: [...req.capAdd],
    capDrop: [...req.capDrop],
    resources: { ...req.resources },
  };
  if (policy.tools?.[req.tool]?.disabled === true)
    v.push(hard('tools.disabled', `tool ${req.tool} is disabled by policy`));
  if (isOptInTool(req.tool) && policy.tools?.[req.tool]?.enabled !== true)
    v.push(
      hard(
        `tools.${req.tool}.enabled`,
        `${req.tool} is opt-in and the policy does not enable it (set tools.${req.tool}.enabled: true)`,
      ),
    );
  checkImage(req.image, policy, v);
  checkSecurity(req, policy, v, out);
  checkQuotas(req, policy, v, out);
  const mounts = checkMounts(req.mounts, policy.mounts ?? {}, identity, realpath, compile);
  v.push(...mounts.violations);
  out.mounts = mounts.mounts;
  out.protectedPaths = [...(policy.mounts?.protected_paths ?? req.protectedPaths ?? [])];
  out.allowHardlinks = policy.mounts?.allow_hardlinks ?? req.allowHardlinks === true;
  if (req.network === 'egress' && policy.network?.allow_network === false) {
    v.push(soft('network.allow_network', 'network access is not allowed'));
    out.network = 'none';
  }
  return { violations: v, adjusted: out };
}
