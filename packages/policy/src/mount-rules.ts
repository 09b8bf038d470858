import { realpathSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import type { ContainerMountRequest } from './contract';
import type { HostIdentity } from './identity';
import type { MountAccessMode, MountAllowlistEntry, MountPolicy, Violation } from './model';
import { PathPattern } from './patterns';

export type RealPath = (path: string) => string;

export interface CompiledEntry {
  entry: MountAllowlistEntry;
  pattern: PathPattern;
  /** 3 user, 2 group, 1 everyone: the seed's resolution order, used only to break ties. */
  principal: number;
}

const hard = (rule: string, message: string): Violation => ({ rule, message, severity: 'error', hard: true });

/**
 * Patterns as written and with their literal prefix resolved through
 * symlinks, so `/tmp/*` still applies when /tmp is a link (macOS /private/tmp).
 */
function patternVariants(path: string, realpath: RealPath): PathPattern[] {
  const pattern = new PathPattern(normalize(path));
  const prefix = pattern.literalPrefix();
  let resolved: string;
  try {
    resolved = realpath(prefix);
  } catch {
    return [pattern];
  }
  if (resolved === prefix) return [pattern];
  const rest = normalize(path).slice(prefix.length);
  return [pattern, new PathPattern(resolved + rest)];
}

/** Compiles the allowlist entries that apply to `identity` (user match, group membership, or everyone). */
export function compileAllowlist(
  entries: readonly MountAllowlistEntry[],
  identity: HostIdentity,
  realpath: RealPath,
): CompiledEntry[] {
  const out: CompiledEntry[] = [];
  for (const entry of entries) {
    let principal: number;
    if (entry.user !== undefined) principal = entry.user === identity.user ? 3 : 0;
    else if (entry.group !== undefined) principal = identity.groups.includes(entry.group) ? 2 : 0;
    else principal = 1;
    if (principal === 0) continue;
    for (const pattern of patternVariants(entry.path, realpath)) out.push({ entry, pattern, principal });
  }
  return out;
}

/** How `checkMounts` gets the compiled allowlist: {@link compileAllowlist}, or a cache of its results. */
export type AllowlistCompiler = typeof compileAllowlist;

const modeRank: Record<MountAccessMode, number> = { denied: 0, readonly: 1, readwrite: 2 };

/** Longest prefix wins; at equal length `denied`, then user > group > everyone, then the narrower mode. */
function better(a: CompiledEntry, b: CompiledEntry): boolean {
  if (a.pattern.specificity !== b.pattern.specificity) return a.pattern.specificity > b.pattern.specificity;
  if (a.pattern.literalSegments !== b.pattern.literalSegments)
    return a.pattern.literalSegments > b.pattern.literalSegments;
  const ad = a.entry.mode === 'denied';
  if (ad !== (b.entry.mode === 'denied')) return ad;
  if (a.principal !== b.principal) return a.principal > b.principal;
  return modeRank[a.entry.mode] < modeRank[b.entry.mode];
}

export interface MountCheckResult {
  violations: Violation[];
  /** Mounts with sources replaced by their real paths (so a symlink swapped after the check changes nothing) and modes clamped. */
  mounts: ContainerMountRequest[];
}

function checkAllowlist(
  real: string,
  mount: ContainerMountRequest,
  entries: CompiledEntry[],
  violations: Violation[],
): MountAccessMode {
  let best: CompiledEntry | undefined;
  for (const e of entries) if (e.pattern.covers(real) && (!best || better(e, best))) best = e;
  if (!best) {
    violations.push(hard('mounts.mount_allowlist', `${real} is not in the mount allowlist`));
    return 'denied';
  }
  if (best.entry.mode === 'denied') {
    violations.push(hard('mounts.mount_allowlist.denied', `${real} is denied by allowlist entry ${best.entry.path}`));
    return 'denied';
  }
  const exposed = entries.find((e) => e.entry.mode === 'denied' && e.pattern.isInside(real));
  if (exposed) {
    violations.push(
      hard('mounts.mount_allowlist.denied', `mounting ${real} would expose denied path ${exposed.entry.path}`),
    );
    return 'denied';
  }
  if (mount.mode === 'readwrite' && best.entry.mode === 'readonly') {
    violations.push({
      rule: 'mounts.mount_allowlist.mode',
      message: `${real} may only be mounted readonly (entry ${best.entry.path})`,
      severity: 'error',
      hard: false,
    });
  }
  return best.entry.mode;
}

function checkLegacy(real: string, policy: MountPolicy, realpath: RealPath, violations: Violation[]): void {
  const denied = (policy.denied_bind_sources ?? []).flatMap((p) => patternVariants(p, realpath));
  const hit = denied.find((p) => p.covers(real) || p.isInside(real));
  if (hit) {
    violations.push(hard('mounts.denied_bind_sources', `${real} matches or contains denied bind source ${hit.source}`));
    return;
  }
  const allowed = (policy.allowed_bind_sources ?? []).flatMap((p) => patternVariants(p, realpath));
  if (allowed.length > 0 && !allowed.some((p) => p.covers(real))) {
    violations.push(hard('mounts.allowed_bind_sources', `${real} is not under an allowed bind source`));
  }
}

/**
 * Checks every bind mount on its resolved real path: `/tmp/../etc` is `/etc`,
 * a symlink inside an allowed directory is judged where it points.
 * A path that does not exist is a violation (it cannot be resolved, so it cannot be judged).
 */
export function checkMounts(
  mounts: readonly ContainerMountRequest[],
  policy: MountPolicy,
  identity: () => HostIdentity,
  realpath: RealPath = realpathSync.native,
  compile: AllowlistCompiler = compileAllowlist,
): MountCheckResult {
  const violations: Violation[] = [];
  const out: ContainerMountRequest[] = [];
  if (mounts.length === 0) return { violations, mounts: out };
  if (policy.allow_bind_mounts !== true) {
    violations.push(hard('mounts.allow_bind_mounts', 'bind mounts are not allowed by this policy'));
  }
  const allowlist = policy.mount_allowlist ?? [];
  const compiled = allowlist.length > 0 ? compile(allowlist, identity(), realpath) : [];
  for (const mount of mounts) {
    if (!isAbsolute(mount.source)) {
      violations.push(hard('mounts.source', `mount source must be an absolute path, got "${mount.source}"`));
      continue;
    }
    let real: string;
    try {
      real = realpath(mount.source);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      violations.push(hard('mounts.source', `mount source ${mount.source} cannot be resolved (${code})`));
      continue;
    }
    let mode = mount.mode;
    if (allowlist.length > 0) {
      if (checkAllowlist(real, mount, compiled, violations) === 'readonly') mode = 'readonly';
    } else {
      checkLegacy(real, policy, realpath, violations);
    }
    out.push({ ...mount, source: real, mode });
  }
  return { violations, mounts: out };
}
