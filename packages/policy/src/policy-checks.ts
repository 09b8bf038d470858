import { posix } from 'node:path';
import type { PolicyIssue } from './errors';
import { parseCidr } from './cidr';
import { OPT_IN_TOOLS, isOptInTool } from './opt-in-tools';
import { joinPath } from './schema-issues';

/*
 * Checks a JSON Schema cannot express (CIDR syntax, min <= max, user xor group). They run on every
 * document, valid or not, so that one run reports a bad CIDR next to a misspelt key: each check looks only
 * at values of the shape it expects and leaves the rest to the schema's own issues.
 */

type Doc = Record<string, unknown>;

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const entriesOf = (v: unknown): [number, unknown][] => (Array.isArray(v) ? v.map((x, i) => [i, x]) : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function checkQuotas(q: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isDoc(q)) return;
  const pairs = [
    ['min_cpus', 'max_cpus'],
    ['min_memory', 'max_memory'],
    ['min_pids', 'max_pids'],
  ] as const;
  for (const [min, max] of pairs) {
    const lo = num(q[min]);
    const hi = num(q[max]);
    if (lo !== undefined && hi !== undefined && lo > hi) {
      issues.push({ path: joinPath(path, min), message: `must not exceed ${max} (${lo} > ${hi})` });
    }
  }
  const swap = num(q['max_memory_swap']);
  const memory = num(q['max_memory']);
  if (swap !== undefined && swap > 0 && memory !== undefined && swap < memory) {
    issues.push({
      path: joinPath(path, 'max_memory_swap'),
      message: 'is memory + swap, so must be >= max_memory (or 0 / -1)',
    });
  }
}

function checkMounts(m: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isDoc(m)) return;
  for (const [i, entry] of entriesOf(m['mount_allowlist'])) {
    if (isDoc(entry) && entry['user'] !== undefined && entry['group'] !== undefined) {
      issues.push({ path: joinPath(joinPath(path, 'mount_allowlist'), i), message: 'set user or group, not both' });
    }
  }
  for (const [i, p] of entriesOf(m['protected_paths'])) {
    if (typeof p === 'string' && posix.normalize(p).replace(/\/+$/, '') === '.')
      issues.push({
        path: joinPath(joinPath(path, 'protected_paths'), i),
        message: 'must name a path inside the workspace, not its root',
      });
  }
  for (const key of ['allowed_bind_sources', 'denied_bind_sources'] as const) {
    for (const [i, p] of entriesOf(m[key])) {
      if (typeof p === 'string' && !p.startsWith('/'))
        issues.push({ path: joinPath(joinPath(path, key), i), message: `must be an absolute path, got "${p}"` });
    }
  }
}

function checkNetwork(n: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isDoc(n)) return;
  for (const key of ['allowed_networks', 'denied_networks'] as const) {
    for (const [i, c] of entriesOf(n[key])) {
      if (typeof c === 'string' && !parseCidr(c))
        issues.push({ path: joinPath(joinPath(path, key), i), message: `expected a CIDR like 10.0.0.0/8, got "${c}"` });
    }
  }
  // Ports (1..65535) are the schema's: `minimum` and `maximum` on `allowed_ports` items.
}

/** Whether `path` is `base` or lies inside it (`a.b[2]` inside `a.b`). */
function within(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}.`) || path.startsWith(`${base}[`);
}

/**
 * The semantic problems of a policy document of any shape. `structural` are the schema's issues for the same
 * document: a value the schema already rejected is not reported twice (an empty protected path is "must not
 * be empty", not also "the workspace root").
 */
export function checkPolicySemantics(policy: unknown, structural: readonly PolicyIssue[] = []): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const sections = (p: Doc, base: string): void => {
    checkQuotas(p['quotas'], joinPath(base, 'quotas'), issues);
    checkMounts(p['mounts'], joinPath(base, 'mounts'), issues);
    checkNetwork(p['network'], joinPath(base, 'network'), issues);
  };
  if (!isDoc(policy)) return issues;
  sections(policy, '');
  const tools = policy['tools'];
  if (isDoc(tools)) {
    for (const [tool, override] of Object.entries(tools)) {
      if (!isDoc(override)) continue;
      sections(override, joinPath('tools', tool));
      // A grant on a tool that needs none would read as if it did something.
      if (!isOptInTool(tool))
        for (const key of ['enabled', 'limits', 'network_access'])
          if (override[key] !== undefined)
            issues.push({
              path: joinPath(joinPath('tools', tool), key),
              message: `only opt-in tools (${OPT_IN_TOOLS.join(', ')}) take ${key}; ${tool} runs without opting in`,
            });
    }
  }
  return issues.filter((i) => !structural.some((s) => s.path !== '' && within(i.path, s.path)));
}
