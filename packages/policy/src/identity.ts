import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/** Who mounts are checked for: the host user the worker runs as, and its groups. */
export interface HostIdentity {
  user: string;
  groups: readonly string[];
}

/** Injected in tests; called at most once per enforcer. */
export type IdentityProvider = () => HostIdentity;

export interface SystemIdentityOptions {
  /** @default '/etc/group' */
  groupFile?: string;
  /** @default os.userInfo */
  userInfo?: () => { username: string; gid: number };
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    // No group file (minimal containers): the user gets only user and everyone entries, never more.
    return [];
  }
}

/** The process's user and its primary and supplementary groups, from the group file. */
export function systemIdentity(options: SystemIdentityOptions = {}): HostIdentity {
  const info = (options.userInfo ?? userInfo)();
  const groups = new Set<string>();
  for (const line of readLines(options.groupFile ?? '/etc/group')) {
    if (!line || line.startsWith('#')) continue;
    const [name, , gid, members] = line.split(':');
    if (!name) continue;
    const memberList = (members ?? '').split(',').map((m) => m.trim());
    if (Number(gid) === info.gid || memberList.includes(info.username)) groups.add(name);
  }
  return { user: info.username, groups: [...groups] };
}
