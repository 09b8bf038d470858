import { posix } from 'node:path';
import type { PolicyIssue } from './errors';
import { parseCidr } from './cidr';
import type { MountPolicy, NetworkPolicy, Policy, QuotaPolicy } from './model';
import { joinPath } from './schema-validate';

function checkQuotas(q: QuotaPolicy | undefined, path: string, issues: PolicyIssue[]): void {
  if (!q) return;
  const pairs: [keyof QuotaPolicy, keyof QuotaPolicy][] = [
    ['min_cpus', 'max_cpus'],
    ['min_memory', 'max_memory'],
    ['min_pids', 'max_pids'],
  ];
  for (const [min, max] of pairs) {
    const lo = q[min];
    const hi = q[max];
    if (lo !== undefined && hi !== undefined && lo > hi) {
      issues.push({ path: joinPath(path, min), message: `must not exceed ${max} (${lo} > ${hi})` });
    }
  }
  const swap = q.max_memory_swap;
  if (swap !== undefined && swap > 0 && q.max_memory !== undefined && swap < q.max_memory) {
    issues.push({
      path: joinPath(path, 'max_memory_swap'),
      message: 'is memory + swap, so must be >= max_memory (or 0 / -1)',
    });
  }
}

function checkMounts(m: MountPolicy | undefined, path: string, issues: PolicyIssue[]): void {
  m?.mount_allowlist?.forEach((entry, i) => {
    if (entry.user !== undefined && entry.group !== undefined) {
      issues.push({ path: joinPath(joinPath(path, 'mount_allowlist'), i), message: 'set user or group, not both' });
    }
  });
  m?.protected_paths?.forEach((p, i) => {
    if (posix.normalize(p).replace(/\/+$/, '') === '.')
      issues.push({
        path: joinPath(joinPath(path, 'protected_paths'), i),
        message: 'must name a path inside the workspace, not its root',
      });
  });
  for (const key of ['allowed_bind_sources', 'denied_bind_sources'] as const) {
    m?.[key]?.forEach((p, i) => {
      if (!p.startsWith('/'))
        issues.push({ path: joinPath(joinPath(path, key), i), message: `must be an absolute path, got "${p}"` });
    });
  }
}

function checkNetwork(n: NetworkPolicy | undefined, path: string, issues: PolicyIssue[]): void {
  for (const key of ['allowed_networks', 'denied_networks'] as const) {
    n?.[key]?.forEach((c, i) => {
      if (!parseCidr(c))
        issues.push({ path: joinPath(joinPath(path, key), i), message: `expected a CIDR like 10.0.0.0/8, got "${c}"` });
    });
  }
  n?.allowed_ports?.forEach((p, i) => {
    if (p > 65535) issues.push({ path: joinPath(joinPath(path, 'allowed_ports'), i), message: 'must be <= 65535' });
  });
}

/** Checks a JSON Schema cannot express. Call only on a document the schema accepted. */
export function checkPolicySemantics(policy: Policy): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const sections = (p: Omit<Policy, 'tools'>, base: string): void => {
    checkQuotas(p.quotas, joinPath(base, 'quotas'), issues);
    checkMounts(p.mounts, joinPath(base, 'mounts'), issues);
    checkNetwork(p.network, joinPath(base, 'network'), issues);
  };
  sections(policy, '');
  for (const [tool, override] of Object.entries(policy.tools ?? {})) sections(override, joinPath('tools', tool));
  return issues;
}
