import { cidrCovers, cidrOverlapsNonPublic, parseCidr } from './cidr';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import type {
  ImagePolicy,
  MountAllowlistEntry,
  MountPolicy,
  NetworkPolicy,
  Policy,
  PolicyMode,
  QuotaPolicy,
  SecurityPolicy,
  ToolLimits,
  ToolPolicy,
} from './model';
import { PathPattern, hostMatches, simpleGlobMatches } from './patterns';
import { mergeRuntime } from './runtime-rank';

export interface MergePoliciesOptions {
  /** Told about session entries dropped because they would widen the global policy. @default quiet */
  logger?: Logger;
}

/*
 * Decision: a session (or tool override) may only tighten. Every field the
 * session leaves undefined keeps the global value; a field it sets is combined
 * so the result is never looser than the global policy:
 *   maxima -> smaller, minima -> larger, allow_* -> AND, require_* and enforce_* -> OR,
 *   deny lists -> union, allow lists -> the session's entries the global list covers,
 *   mode -> the stricter of the two (strict > permissive > disabled),
 *   security.runtime -> gVisor over any other, else the global one (runtime-rank.ts).
 */

type Drop = (field: string, entry: unknown) => void;

const unlimited = (n: number | undefined): number | undefined => (n === -1 ? Number.POSITIVE_INFINITY : n);

function smaller(g: number | undefined, s: number | undefined, minusOneIsUnlimited = false): number | undefined {
  if (s === undefined) return g;
  if (g === undefined) return s;
  const [gv, sv] = minusOneIsUnlimited ? [unlimited(g), unlimited(s)] : [g, s];
  return (sv as number) < (gv as number) ? s : g;
}

function larger(g: number | undefined, s: number | undefined): number | undefined {
  if (s === undefined || g === undefined) return g ?? s;
  return Math.max(g, s);
}

/** A grant: the session can withdraw it, never give it. Unset global means "the default", which a session may only turn off. */
function grant(g: boolean | undefined, s: boolean | undefined): boolean | undefined {
  if (s === false) return false;
  return g;
}

function requirement(g: boolean | undefined, s: boolean | undefined): boolean | undefined {
  return s === true ? true : g;
}

function union<T>(g: T[] | undefined, s: T[] | undefined): T[] | undefined {
  if (!s) return g;
  return [...new Set([...(g ?? []), ...s])];
}

/**
 * Allow lists where empty means "anything": the session narrows an empty
 * global list freely; otherwise only the entries the global list covers survive.
 * If none survive, the global list stays (never an empty list, which would mean "anything").
 */
function narrow<T>(
  field: string,
  g: T[] | undefined,
  s: T[] | undefined,
  covered: (entry: T, by: T[]) => boolean,
  drop: Drop,
): T[] | undefined {
  if (!s || s.length === 0) return g;
  if (!g || g.length === 0) return s;
  const kept = s.filter((e) => {
    const ok = covered(e, g);
    if (!ok) drop(field, e);
    return ok;
  });
  return kept.length > 0 ? kept : g;
}

/** Lists where empty means "nothing" (capabilities): plain intersection. */
function intersect(g: string[] | undefined, s: string[] | undefined): string[] | undefined {
  if (!s) return g;
  const norm = (c: string): string => c.toUpperCase().replace(/^CAP_/, '');
  const allowed = new Set((g ?? []).map(norm));
  return s.filter((c) => allowed.has(norm(c)));
}

function assign<T extends object>(target: T, values: Partial<T>): T {
  for (const [k, v] of Object.entries(values)) if (v !== undefined) (target as Record<string, unknown>)[k] = v;
  return target;
}

function mergeQuotas(g: QuotaPolicy | undefined, s: QuotaPolicy | undefined): QuotaPolicy | undefined {
  if (!s) return g;
  return assign<QuotaPolicy>(
    { ...g },
    {
      max_cpus: smaller(g?.max_cpus, s.max_cpus),
      min_cpus: larger(g?.min_cpus, s.min_cpus),
      max_memory: smaller(g?.max_memory, s.max_memory),
      min_memory: larger(g?.min_memory, s.min_memory),
      max_memory_swap: smaller(g?.max_memory_swap, s.max_memory_swap, true),
      max_pids: smaller(g?.max_pids, s.max_pids),
      min_pids: larger(g?.min_pids, s.min_pids),
    },
  );
}

const rank: Record<MountAccessModeRank, number> = { denied: 0, readonly: 1, readwrite: 2 };
type MountAccessModeRank = MountAllowlistEntry['mode'];

function mountEntryCovered(e: MountAllowlistEntry, by: MountAllowlistEntry[]): boolean {
  if (e.mode === 'denied') return true;
  return by.some(
    (g) =>
      g.mode !== 'denied' &&
      rank[g.mode] >= rank[e.mode] &&
      // The global entry must apply to at least everyone the session entry applies to.
      ((g.user === undefined && g.group === undefined) ||
        (g.user !== undefined && g.user === e.user) ||
        (g.group !== undefined && g.group === e.group)) &&
      new PathPattern(g.path).covers(e.path),
  );
}

function mergeMounts(g: MountPolicy | undefined, s: MountPolicy | undefined, drop: Drop): MountPolicy | undefined {
  if (!s) return g;
  const globPath = (e: string, by: string[]): boolean => by.some((p) => new PathPattern(p).covers(e));
  const globName = (e: string, by: string[]): boolean => by.some((p) => simpleGlobMatches(p, e));
  let allowlist = g?.mount_allowlist;
  if (s.mount_allowlist && s.mount_allowlist.length > 0) {
    if (allowlist && allowlist.length > 0) {
      const denied = s.mount_allowlist.filter((e) => e.mode === 'denied');
      const granted = narrow(
        'mounts.mount_allowlist',
        allowlist,
        s.mount_allowlist.filter((e) => e.mode !== 'denied'),
        mountEntryCovered,
        drop,
      );
      // Session denials add to the global list rather than replace it, so global denials are never lost.
      allowlist =
        granted === allowlist
          ? [...allowlist, ...denied]
          : [...(granted ?? []), ...denied, ...allowlist.filter((e) => e.mode === 'denied')];
    } else {
      // No global allowlist: legacy rules decide globally, so session grants must fit inside them.
      const legacy = g?.allowed_bind_sources ?? [];
      allowlist = s.mount_allowlist.filter((e) => {
        const ok = e.mode === 'denied' || legacy.length === 0 || globPath(e.path, legacy);
        if (!ok) drop('mounts.mount_allowlist', e);
        return ok;
      });
      if (allowlist.every((e) => e.mode === 'denied') && legacy.length > 0) allowlist = undefined;
    }
  }
  return assign<MountPolicy>(
    { ...g },
    {
      allow_bind_mounts: grant(g?.allow_bind_mounts, s.allow_bind_mounts),
      allowed_bind_sources: narrow(
        'mounts.allowed_bind_sources',
        g?.allowed_bind_sources,
        s.allowed_bind_sources,
        globPath,
        drop,
      ),
      denied_bind_sources: union(g?.denied_bind_sources, s.denied_bind_sources),
      allow_volumes: grant(g?.allow_volumes, s.allow_volumes),
      allowed_volumes: narrow('mounts.allowed_volumes', g?.allowed_volumes, s.allowed_volumes, globName, drop),
      denied_volumes: union(g?.denied_volumes, s.denied_volumes),
      allow_tmpfs: grant(g?.allow_tmpfs, s.allow_tmpfs),
      max_tmpfs_size: smaller(g?.max_tmpfs_size, s.max_tmpfs_size),
      enforce_read_only_rootfs: requirement(g?.enforce_read_only_rootfs, s.enforce_read_only_rootfs),
      mount_allowlist: allowlist,
      // A session may protect more paths, never fewer.
      protected_paths: union(g?.protected_paths, s.protected_paths),
      allow_hardlinks: grant(g?.allow_hardlinks, s.allow_hardlinks),
    },
  );
}

function mergeNetwork(
  g: NetworkPolicy | undefined,
  s: NetworkPolicy | undefined,
  drop: Drop,
): NetworkPolicy | undefined {
  if (!s) return g;
  const cidrCovered = (e: string, by: string[]): boolean => {
    const c = parseCidr(e);
    return (
      !!c &&
      by.some((b) => {
        const outer = parseCidr(b);
        return !!outer && cidrCovers(outer, c);
      })
    );
  };
  let allowedNetworks = narrow('network.allowed_networks', g?.allowed_networks, s.allowed_networks, cidrCovered, drop);
  if (allowedNetworks === s.allowed_networks && !g?.allow_private) {
    // An explicit CIDR admits private targets, so a session must not list private ranges the global policy blocks.
    allowedNetworks = allowedNetworks?.filter((e) => {
      const cidr = parseCidr(e);
      const ok = cidr !== undefined && !cidrOverlapsNonPublic(cidr);
      if (!ok) drop('network.allowed_networks', e);
      return ok;
    });
  }
  return assign<NetworkPolicy>(
    { ...g },
    {
      allow_network: grant(g?.allow_network, s.allow_network),
      allowed_networks: allowedNetworks,
      denied_networks: union(g?.denied_networks, s.denied_networks),
      allow_host_network: grant(g?.allow_host_network, s.allow_host_network),
      allowed_hosts: narrow(
        'network.allowed_hosts',
        g?.allowed_hosts,
        s.allowed_hosts,
        (e, by) => by.some((p) => hostMatches(p, e)),
        drop,
      ),
      denied_hosts: union(g?.denied_hosts, s.denied_hosts),
      allowed_ports: narrow(
        'network.allowed_ports',
        g?.allowed_ports,
        s.allowed_ports,
        (e, by) => by.includes(e),
        drop,
      ),
      allow_private: grant(g?.allow_private, s.allow_private),
    },
  );
}

function mergeImages(g: ImagePolicy | undefined, s: ImagePolicy | undefined, drop: Drop): ImagePolicy | undefined {
  if (!s) return g;
  return assign<ImagePolicy>(
    { ...g },
    {
      allowed_images: narrow(
        'images.allowed_images',
        g?.allowed_images,
        s.allowed_images,
        (e, by) => by.some((p) => simpleGlobMatches(p, e)),
        drop,
      ),
      denied_images: union(g?.denied_images, s.denied_images),
      require_digest: requirement(g?.require_digest, s.require_digest),
      allow_latest_tag: grant(g?.allow_latest_tag, s.allow_latest_tag),
    },
  );
}

function mergeSecurity(
  g: SecurityPolicy | undefined,
  s: SecurityPolicy | undefined,
  drop: Drop,
): SecurityPolicy | undefined {
  if (!s) return g;
  const runtime = mergeRuntime(g?.runtime, s.runtime);
  if (runtime.dropped) drop('security.runtime', s.runtime);
  return assign<SecurityPolicy>(
    { ...g },
    {
      allow_privileged: grant(g?.allow_privileged, s.allow_privileged),
      allowed_capabilities: intersect(g?.allowed_capabilities, s.allowed_capabilities),
      add_capabilities: intersect(g?.add_capabilities, s.add_capabilities),
      drop_capabilities: union(g?.drop_capabilities, s.drop_capabilities),
      allow_root: grant(g?.allow_root, s.allow_root),
      require_non_root: requirement(g?.require_non_root, s.require_non_root),
      allowed_uids: narrow('security.allowed_uids', g?.allowed_uids, s.allowed_uids, (e, by) => by.includes(e), drop),
      allowed_gids: narrow('security.allowed_gids', g?.allowed_gids, s.allowed_gids, (e, by) => by.includes(e), drop),
      read_only_rootfs: requirement(g?.read_only_rootfs, s.read_only_rootfs),
      runtime: runtime.runtime,
    },
  );
}

const modeRank: Record<PolicyMode, number> = { disabled: 0, permissive: 1, strict: 2 };

function mergeSections<T extends ToolPolicy>(g: T, s: ToolPolicy, drop: Drop): T {
  return assign<T>({ ...g }, {
    quotas: mergeQuotas(g.quotas, s.quotas),
    mounts: mergeMounts(g.mounts, s.mounts, drop),
    network: mergeNetwork(g.network, s.network, drop),
    images: mergeImages(g.images, s.images, drop),
    security: mergeSecurity(g.security, s.security, drop),
  } as Partial<T>);
}

/**
 * Merges a per-session policy into the global one. Only tightens (see above);
 * unset session fields keep the global value. Never mutates its inputs.
 */
export function mergePolicies(global: Policy, session: Policy | undefined, options: MergePoliciesOptions = {}): Policy {
  if (!session) return global;
  const logger = options.logger ?? quietLogger;
  const drop: Drop = (field, entry) =>
    logger.warn('session policy entry ignored: it would widen the global policy', { field, entry });
  const merged = mergeSections<Policy>(global, session, drop);
  const globalMode = global.mode ?? 'strict';
  if (session.mode && modeRank[session.mode] > modeRank[globalMode]) merged.mode = session.mode;
  if (session.labels) merged.labels = { ...global.labels, ...session.labels };
  if (session.tools) {
    const tools: Record<string, ToolPolicy> = { ...global.tools };
    for (const [name, override] of Object.entries(session.tools)) {
      const base = tools[name] ?? {};
      const disabled = requirement(base.disabled, override.disabled);
      const enabled = grant(base.enabled, override.enabled);
      const limits = mergeToolLimits(base.limits, override.limits);
      // egress is a grant too: a session may take it away (none), never add it.
      const network_access = override.network_access === 'none' ? 'none' : base.network_access;
      tools[name] = {
        ...mergeSections<ToolPolicy>(base, override, drop),
        ...(disabled === undefined ? {} : { disabled }),
        ...(enabled === undefined ? {} : { enabled }),
        ...(limits === undefined ? {} : { limits }),
        ...(network_access === undefined ? {} : { network_access }),
      };
    }
    merged.tools = tools;
  }
  return merged;
}

/** An opt-in tool's limits: the smaller of each. */
function mergeToolLimits(g: ToolLimits | undefined, s: ToolLimits | undefined): ToolLimits | undefined {
  if (!s) return g;
  return assign<ToolLimits>(
    { ...g },
    {
      max_timeout_seconds: smaller(g?.max_timeout_seconds, s.max_timeout_seconds),
      max_cpus: smaller(g?.max_cpus, s.max_cpus),
      max_memory: smaller(g?.max_memory, s.max_memory),
      max_pids: smaller(g?.max_pids, s.max_pids),
      max_output_bytes: smaller(g?.max_output_bytes, s.max_output_bytes),
    },
  );
}

/** The policy that applies to one tool: the global policy tightened by `tools[name]`. */
export function policyForTool(policy: Policy, tool: string): Policy {
  const override = policy.tools?.[tool];
  if (!override) return policy;
  const { disabled: _disabled, enabled: _enabled, limits: _limits, network_access: _access, ...sections } = override;
  return mergeSections<Policy>(policy, sections, () => {});
}
