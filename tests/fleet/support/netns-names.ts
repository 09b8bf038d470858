/**
 * Names of the suite's network namespaces: `bfleet-<run id>-<owner pid>-<file tag>-<role>`. The owner
 * pid is the jest worker that created them, so a later run can tell a namespace left by a crashed run
 * (its owner is gone: stale, removed at start) from one another run is using right now (left alone).
 */

export const NETNS_PREFIX = 'bfleet';

function token(text: string): string {
  const t = text.replace(/[^A-Za-z0-9]/g, '');
  if (t === '') throw new TypeError(`no name characters in ${JSON.stringify(text)}`);
  return t;
}

export interface NetnsNameParts {
  runId: string;
  ownerPid: number;
  tag: string;
  role: string;
}

export function netnsName(parts: NetnsNameParts): string {
  return [NETNS_PREFIX, token(parts.runId), String(parts.ownerPid), token(parts.tag), token(parts.role)].join('-');
}

/** The parts of one of the suite's names, or undefined for any other namespace. */
export function parseNetnsName(name: string): NetnsNameParts | undefined {
  const m = new RegExp(`^${NETNS_PREFIX}-([A-Za-z0-9]+)-(\\d+)-([A-Za-z0-9]+)-([A-Za-z0-9]+)$`).exec(name);
  if (!m) return undefined;
  return { runId: m[1] as string, ownerPid: Number(m[2]), tag: m[3] as string, role: m[4] as string };
}

/** The names in `ip netns list` output (`name (id: 3)` or `name`). */
export function parseNetnsList(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** The suite's namespaces whose owner process is gone. */
export function staleNetns(names: readonly string[], isAlive: (pid: number) => boolean): string[] {
  return names.filter((n) => {
    const parts = parseNetnsName(n);
    return parts !== undefined && !isAlive(parts.ownerPid);
  });
}
