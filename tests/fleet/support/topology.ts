/**
 * Hosts made of network namespaces, all the suite's own: one bridge namespace holding a Linux bridge,
 * and one namespace per host (hub, operator, workers) joined to it by a veth pair created inside the
 * bridge namespace with its peer placed straight into the host's. Nothing is created in the machine's
 * own namespace: no interface, no address, no route; the hosts have no default route, so traffic can
 * only go between them. Addresses come from one documentation prefix (test-prefix.ts), checked against
 * the machine's own addresses and routes first. `dispose()` removes everything, and `create()` first
 * removes what a crashed earlier run left (its owner process gone, netns-names.ts).
 */
import { execFileSync } from 'node:child_process';
import { testRunId } from '@baaaht/test-utils';
import { netnsName, parseNetnsList, staleNetns } from './netns-names';
import { fleetPrefix, hostAddress, prefixClashes } from './test-prefix';
import type { Ipv4Prefix } from './test-prefix';

/** Environment knob: another documented prefix, e.g. `203.0.113.0/24`, if the default clashes here. */
export const PREFIX_ENV = 'FLEET_TEST_PREFIX';

export interface FleetHost {
  role: string;
  netns: string;
  address: string;
  /** The host's end of its veth pair, inside its namespace. */
  ifname: 'eth0';
}

export interface FleetTopologyOptions {
  /** Short name of the test file, part of every namespace name. */
  tag: string;
  /** Host roles in address order: the first gets host number 10, the next 11, and so on. */
  roles: readonly string[];
  /** @default $FLEET_TEST_PREFIX or 198.51.100.0/24 */
  prefix?: string;
  env?: NodeJS.ProcessEnv;
}

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fails (never skips) with what to do when the machine cannot host the suite. */
export function assertFleetCapable(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      'the fleet suite creates network namespaces and needs root: sudo pnpm exec jest --selectProjects fleet --runInBand',
    );
  for (const [program, pkg] of [
    ['ip', 'iproute2'],
    ['openssl', 'openssl'],
  ] as const) {
    try {
      execFileSync(program, program === 'ip' ? ['-V'] : ['version'], { stdio: 'pipe' });
    } catch {
      throw new Error(`the fleet suite needs ${program}: apt-get install ${pkg}`);
    }
  }
}

/** Removes the suite's namespaces whose owner is gone, killing what still runs in them (our own CLIs). */
export function removeStaleNamespaces(): string[] {
  const stale = staleNetns(parseNetnsList(ip(['netns', 'list'])), alive);
  for (const ns of stale) removeNamespace(ns);
  return stale;
}

/** SIGKILLs the processes inside `ns` (by pid) and deletes it; returns the pids that were still there. */
function removeNamespace(ns: string): number[] {
  let pids: number[] = [];
  try {
    pids = ip(['netns', 'pids', ns])
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number);
  } catch {
    // Already gone.
    return [];
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  try {
    ip(['netns', 'del', ns]);
  } catch {
    // Deleted meanwhile.
  }
  return pids;
}

/** Interface names of the machine's own namespace: unchanged by the suite, which `dispose()` checks. */
export function rootInterfaces(): string[] {
  return ip(['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

/**
 * - `up`: every namespace, the bridge and each host's link exist (a link may be cut on purpose);
 * - `disposed`: all of it is removed; the object is inert.
 */
export type FleetTopologyState = 'up' | 'disposed';

export class FleetTopology {
  private currentState: FleetTopologyState = 'up';
  /** A last resort if the test process exits without `dispose()` (an interrupted run): `ip` is synchronous. */
  private readonly onExit = (): void => void this.dispose();

  private constructor(
    readonly prefix: Ipv4Prefix,
    readonly bridgeNetns: string,
    private readonly hosts: ReadonlyMap<string, FleetHost>,
    private readonly rootBefore: readonly string[],
  ) {}

  /** Checks the machine, removes stale namespaces, then builds the bridge and the hosts (undone on failure). */
  static create(options: FleetTopologyOptions): FleetTopology {
    assertFleetCapable();
    const env = options.env ?? process.env;
    const prefix = fleetPrefix(options.prefix ?? (env[PREFIX_ENV] || undefined));
    const clashes = prefixClashes(
      prefix,
      ip(['-o', '-4', 'addr', 'show']),
      ip(['-4', 'route', 'show', 'table', 'all']),
    );
    if (clashes.length > 0)
      throw new Error(
        `refusing to start: the fleet prefix ${prefix.text} overlaps this machine's ${clashes.join('; ')}; ` +
          `set ${PREFIX_ENV} to another documentation prefix (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)`,
      );
    removeStaleNamespaces();
    const rootBefore = rootInterfaces();
    const name = (role: string): string =>
      netnsName({ runId: testRunId(env), ownerPid: process.pid, tag: options.tag, role });
    const bridgeNetns = name('br');
    const hosts = new Map<string, FleetHost>();
    options.roles.forEach((role, i) =>
      hosts.set(role, { role, netns: name(role), address: hostAddress(prefix, 10 + i), ifname: 'eth0' }),
    );
    const topology = new FleetTopology(prefix, bridgeNetns, hosts, rootBefore);
    process.once('exit', topology.onExit);
    try {
      ip(['netns', 'add', bridgeNetns]);
      ip(['-n', bridgeNetns, 'link', 'set', 'lo', 'up']);
      ip(['-n', bridgeNetns, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', bridgeNetns, 'link', 'set', 'br0', 'up']);
      for (const host of hosts.values()) {
        const port = FleetTopology.portName(host.role);
        ip(['netns', 'add', host.netns]);
        ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
        ip(['-n', bridgeNetns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', host.ifname, 'netns', host.netns]);
        ip(['-n', bridgeNetns, 'link', 'set', port, 'master', 'br0']);
        ip(['-n', bridgeNetns, 'link', 'set', port, 'up']);
        ip(['-n', host.netns, 'addr', 'add', `${host.address}/${prefix.length}`, 'dev', host.ifname]);
        ip(['-n', host.netns, 'link', 'set', host.ifname, 'up']);
      }
    } catch (err) {
      topology.dispose();
      throw err;
    }
    return topology;
  }

  /** The bridge's end of a host's veth pair (interface names are at most 15 bytes). */
  static portName(role: string): string {
    return `v${role}`.slice(0, 15);
  }

  get state(): FleetTopologyState {
    return this.currentState;
  }

  host(role: string): FleetHost {
    const host = this.hosts.get(role);
    if (host === undefined) throw new Error(`no host ${role} in this topology`);
    return host;
  }

  /** The routes inside a host's namespace (`ip -4 route`), one per line: only its own prefix, no default. */
  routes(role: string): string[] {
    return ip(['-n', this.host(role).netns, '-4', 'route', 'show'])
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  /** Cuts the host's link (its end of the veth goes down): a partition, seen by nobody as a close. */
  cut(role: string): void {
    const host = this.host(role);
    ip(['-n', host.netns, 'link', 'set', host.ifname, 'down']);
  }

  /** Brings the link back; the address stays configured through the cut. */
  restore(role: string): void {
    const host = this.host(role);
    ip(['-n', host.netns, 'link', 'set', host.ifname, 'up']);
  }

  /**
   * Removes every namespace (hosts, then the bridge), SIGKILLing by pid whatever still runs in one; returns
   * what was wrong: processes that were still running, a namespace that survived, an interface of the
   * machine's own namespace that appeared or vanished. Idempotent.
   */
  dispose(): string[] {
    if (this.currentState === 'disposed') return [];
    this.currentState = 'disposed';
    process.off('exit', this.onExit);
    const problems: string[] = [];
    for (const ns of [...[...this.hosts.values()].map((h) => h.netns), this.bridgeNetns]) {
      const pids = removeNamespace(ns);
      if (pids.length > 0) problems.push(`${ns}: processes still running at dispose (pids ${pids.join(', ')})`);
    }
    const ours = new Set([...[...this.hosts.values()].map((h) => h.netns), this.bridgeNetns]);
    for (const ns of parseNetnsList(ip(['netns', 'list'])).filter((n) => ours.has(n)))
      problems.push(`${ns}: still exists`);
    // Only names the suite would create count: other users of the machine may add interfaces meanwhile.
    const mine = new Set(['br0', ...[...this.hosts.values()].map((h) => FleetTopology.portName(h.role))]);
    const appeared = rootInterfaces().filter((n) => mine.has(n) && !this.rootBefore.includes(n));
    if (appeared.length > 0) problems.push(`interfaces in the machine's own namespace: ${appeared.join(', ')}`);
    return problems;
  }
}
